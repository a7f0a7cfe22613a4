"""alot-sdk: the public Python client for the ALOT! API.

Not built yet: the SDK arrives with its own issue, once the platform API it wraps
exists. Importing it works; it offers nothing.
"""

__version__ = "0.1.0"
