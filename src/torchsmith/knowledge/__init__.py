"""The shipped knowledge: facts about PyTorch builds, CUDA drivers, GPUs and Jetson, each with a source.

Tables are data files under `data/` (TOML), one row per fact, each row naming a source declared in the
file's `[sources.*]`. Each table has a typed loader module here (`cuda_drivers.py`, ...) that parses every
field into its real type, loads once, and reports every problem at once as one `KnowledgeError`.
"""
