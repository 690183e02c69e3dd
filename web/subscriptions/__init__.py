"""Subscription notices (订阅通知): the residents' consent per template, sending by ``bizsend``,
WeChat's events about them, and the opt-in page.

For the other features:

* ``web.subscriptions.consent.opted_in(sess, openid, template_key) -> bool`` — the resident accepted
  the template named ``template_key`` in ``templates.yml`` (``policy``, ``status``, ``appointment``);
* ``web.subscriptions.send.send_notice(outbound, openid, template_key, values, reason, ref=None,
  page=None) -> int`` — checks consent (``NotOptedIn``) and WeChat's field rules (``RuleBroken``,
  problems in Chinese) before anything is written, records an ``outbound_message`` (kind ``notice``)
  and queues ``wechat.send_notice``; ``record_notice`` / ``dispatch_notice`` for a caller's transaction.

docs/wechat.md, *Subscription notices and template messages*, has the rules and their sources.
"""
