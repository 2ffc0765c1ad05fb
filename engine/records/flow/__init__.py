"""What flows between documents beyond one record: gathering, snapshots, task facts, guards, contributions."""
