"""The demo tenant `make run` serves: users, projects and records of every module."""
