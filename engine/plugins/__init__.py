"""Plugins: the public plugin API, re-exported here (`from engine.plugins import Plugin`), and the host.

The API itself lives in engine/core/plugin_api.py, below every layer, because the field types and formula
functions plugins register are read by the lowest layers.
"""
from engine.core.plugin_api import *  # noqa: F403
