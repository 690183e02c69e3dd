"""The stand-in for the city's unified identity service (统一身份认证) and its SMS gateway.

An OpenID Connect provider (authorization code + PKCE, ID tokens signed with a published
key) that verifies a resident by name, ID number and a one-time code texted to the phone the
resident registry holds. In production the platform signs residents in at the city's own
provider instead; only configuration changes (docs/identity.md).
"""
