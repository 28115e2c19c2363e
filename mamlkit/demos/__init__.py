"""The course's interactive demos: each builder returns a ``base.Demo``."""
