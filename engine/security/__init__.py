"""Who may read and write what, and the tamper-evident audit chain."""
