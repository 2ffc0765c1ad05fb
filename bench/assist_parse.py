"""Field accuracy of Assist's parsing on the held-out ticket sentences, on a fresh demo tenant (docs/assist.md).

    python bench/assist_parse.py [--database sqlite:///path/demo.db]

Without --database it builds the demo in a temporary SQLite file (a few minutes). Prints one row per field.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "plugins" / "assist"))

from formwork_assist import plugin
from formwork_assist.evaluation import evaluate_parsing

from demo.data import DEMO_TENANT, create_demo
from engine.runtime import Formwork
from engine.tenancy import plugin_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a database that already holds the demo tenant")
    args = parser.parse_args()
    if "assist" not in plugin_registry.loaded():
        plugin_registry.add(plugin)
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='assist-bench-')}/demo.db"
    formwork = Formwork(url)
    if not args.database:
        create_demo(formwork)
    result = evaluate_parsing(formwork, DEMO_TENANT)
    print(f"{'field':<18}{'right':>7}{'total':>7}{'accuracy':>10}")
    for row in result["table"]:
        print(f"{row['field']:<18}{row['right']:>7}{row['total']:>7}{row['accuracy']:>10.1%}")
    print(f"{'all fields':<18}{result['fields_right']:>7}{result['fields_total']:>7}{result['accuracy']:>10.1%}")
    print(f"sentences {result['sentences']}, invented crews {result['invented_crews']}, "
          f"{result['ms_per_sentence']} ms a sentence")
    for miss in result["misses"]:
        print(f"  miss: {miss['text']} — {miss['field']}: expected {miss['expected']!r}, got {miss['got']!r}")


if __name__ == "__main__":
    main()
