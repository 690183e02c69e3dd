"""Real-name verification (实名认证) on the platform's side: the relying party of the city's provider.

A flow that needs to know who the resident is asks for it with the custom payload
``{"identity": {"resume": "<intent syntax>", "what": "<刚才办的事>"}}``; the side effect
(:mod:`web.identity.requests`) answers with a signed link. The link's pages (:mod:`web.identity.views`)
learn the WeChat openid through WeChat's web authorisation (网页授权, ``snsapi_base``), sign the
resident in at the identity provider (OpenID Connect, code flow with PKCE, through Authlib),
have the back-office bind openid ↔ resident (it checks the ID token itself), and carry on with
the flow that asked (:mod:`web.identity.resume`). docs/identity.md has the whole flow.
"""
