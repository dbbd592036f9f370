"""Prompts as files: the ``*.txt`` templates beside this module (package data, shipped in the wheel) and
their loading and rendering (``templates``). ``answer.prompts_dir`` points at a user's own folder."""
