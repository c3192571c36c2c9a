"""torchsmith: get the right PyTorch onto any machine and prove it works.

Nothing is imported here on purpose: `torchsmith probe` is on the user's hot path, so each command imports
only the modules it needs (see `torchsmith.cli`).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
