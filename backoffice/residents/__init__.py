"""The resident registry: households, residents, WeChat bindings."""
