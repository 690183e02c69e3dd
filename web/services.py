"""What a web process talks to, built once from its Settings: the one wiring plan.

``create_app`` (web/app.py) and the Celery worker (``web.worker.services()``, used by
web/tasks.py and the domain tasks modules) both build a :class:`Services` and take the
database, Redis, Rasa, outbound, WeChat and back-office clients from it, so a process
holds one of each. This module is also where the features that stand on
``web.conversations`` are plugged into it: the routing point's hooks (:func:`router`)
and the bot's side effects (:func:`side_effects`), given explicitly here rather than
registered as an import's side effect. docs/architecture.md, "Wiring", has the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from common import settings
from common.backoffice_client import BackofficeClient
from common.db import Database
from common.redis_client import connect as connect_redis
from common.settings import Settings
from web.analytics import recording
from web.assistance import outbox
from web.channels.dedupe import ReplyLedger
from web.channels.socketio_channel import live_emitter
from web.channels.web_senders import PageTokens
from web.console.services import ConsoleServices
from web.conversations.models import Conversation, Message
from web.conversations.router import Inbound, Rewrite, Router
from web.conversations.side_effects import SideEffects
from web.documents.intake import Intake
from web.documents.missing import MissingDocuments
from web.documents.requirements import AssistanceApplications, BenefitApplications, Source, verified
from web.documents.scan import Clamd
from web.documents.storage import Store, open_store
from web.feedback import handlers as feedback
from web.handoff import intake
from web.handoff.events import Publisher
from web.handoff.queue import Resume
from web.handoff.rasa_api import RasaApi
from web.handoff.undelivered import CallBacks
from web.identity import requests
from web.identity.links import BindingLinks
from web.oncall import AlertQueue
from web.oncall.delivery import Delivery
from web.oncall.gateway import AlertGateway
from web.outbound import Outbound, consent
from web.outbound.wechat_sender import EarlyReceipts, WechatSender
from web.policy import registry
from web.policy import reply as policy_reply
from web.policy.delivery import CampaignSender
from web.policy.links import Links
from web.policy.pacing import PushPacer
from web.rasa_client import RasaClient
from web.review import inbox
from web.wechat_api import WechatApi
from web.wechat_api.daily_quota import DailyQuota, parse_limits

# The secrets the web app, the worker and beat use (common/settings.py, DEV_SECRETS).
SECRETS = (
    "SECRET_KEY",
    "RASA_TOKEN",
    "BACKOFFICE_TOKEN",
    "WECHAT_TOKEN",
    "WECHAT_APP_SECRET",
    "OIDC_CLIENT_SECRET",
    "ALERT_GATEWAY_TOKEN",
)


def celery_enqueue(task: str, args: list[Any]) -> None:
    """Queue a Celery task by name (the outbound messages, campaign runs). The Celery app is
    imported on the first send, so a web process loads the worker's module only then."""
    from web.worker import celery_app

    celery_app.send_task(task, args=args)


def document_sources(backoffice: BackofficeClient) -> tuple[Source, ...]:
    """Every domain whose applications take documents by photo (web/documents/requirements.py)."""
    return (AssistanceApplications(backoffice), BenefitApplications(backoffice))


def side_effects(links: BindingLinks, backoffice: BackofficeClient | None = None) -> SideEffects:
    """The bot's side effects: custom payload key → the feature that applies it. Without ``backoffice``
    (tests of the other effects) the question "还缺什么材料" has no answer from the documents."""
    verify = partial(requests.ask_to_verify, links)
    handlers = {
        "identity": verify,  # a flow needs a verified resident: the link
        "handoff": intake.queue_for_agent,  # the conversation joins the agent queue
        "outbox": outbox.keep_for_later,  # an application the back-office could not take yet
        "rating": partial(feedback.record_rating, record=recording.record),  # 好差评
        "consent": consent.consent_side_effect,  # 退订 / 订阅
    }
    if backoffice is not None:  # "还缺什么材料": answered from the resident's documents
        handlers["documents"] = MissingDocuments(document_sources(backoffice), backoffice, verify)
    return SideEffects(handlers)


def _analytics(
    sess: Session, conv: Conversation, _said: Message, _inbound: Inbound, understanding: dict[str, Any]
) -> None:
    recording.record_turn(sess, conv.id, conv.channel, understanding)


def _review(sess: Session, _conv: Conversation, said: Message, inbound: Inbound, understanding: dict[str, Any]) -> None:
    inbox.consider(sess, said.id, said.text, inbound.text, understanding)


def router(
    sessions: sessionmaker,
    rasa: Any,
    effects: SideEffects,
    rewrite: Rewrite | None = policy_reply.rewrite,
    resume: Resume | None = None,
) -> Router:
    """The routing point with the platform's hooks: campaign replies and 退订 (``rewrite``), the
    desk (web/handoff/intake.py; ``resume``: how a resident leaving its queue gets the bot back),
    the bot's side effects, and what the bot understood for analytics and the review inbox (in that order)."""
    return Router(
        sessions,
        rasa,
        rewrite=rewrite,
        desk=intake.Desk(resume),
        side_effects=effects,
        understood=(_analytics, _review),
    )


@dataclass
class Services:
    """One process's clients (built lazily where a process may not need them: the worker
    never routes a message, the web process never sends a campaign)."""

    config: Settings
    database: Database
    redis: redis.Redis
    rasa: RasaClient
    outbound: Outbound
    wechat_api: WechatApi
    backoffice: BackofficeClient
    receipts: EarlyReceipts  # template receipts that came before their row was written
    binding_links: BindingLinks  # the signed links to real-name verification (web/identity/)
    side_effects: SideEffects

    @classmethod
    def build(cls, config: Settings) -> Services:
        """Nothing here connects yet: engines and Redis connect on first use. Refuses a
        development secret outside development (the web app, the worker and beat)."""
        settings.require_secrets(config, *SECRETS)
        database = Database(config.database_url)
        client = connect_redis(config.redis_url)
        links = BindingLinks(config.public_base_url, config.secret_key)
        backoffice = BackofficeClient(config.backoffice_url, config.backoffice_token)
        return cls(
            config=config,
            database=database,
            redis=client,
            rasa=RasaClient(config.rasa_urls, config.rasa_token),
            outbound=Outbound(database.sessions, client, celery_enqueue, live_emitter(config.redis_url)),
            wechat_api=WechatApi(client, config.wechat_api_base, config.wechat_app_id, config.wechat_app_secret),
            backoffice=backoffice,
            receipts=EarlyReceipts(client),
            binding_links=links,
            side_effects=side_effects(links, backoffice),
        )

    @cached_property
    def router(self) -> Router:
        return router(
            self.database.sessions, self.rasa, effects=self.side_effects, resume=self.rasa_api.resume_retrying
        )

    @cached_property
    def page_tokens(self) -> PageTokens:
        """The signed tokens of the /chat pages: the only way a web chat sender can be trusted."""
        return PageTokens(self.config.secret_key)

    @cached_property
    def reply_ledger(self) -> ReplyLedger:
        """WeChat's retries and the replies owed to residents (web/channels/dedupe.py)."""
        return ReplyLedger(self.redis)

    @cached_property
    def registry(self) -> Engine:
        """The resident registry, read-only (the campaigns' audiences)."""
        return registry.engine_for(self.config.registry_url)

    @cached_property
    def links(self) -> Links:
        """The signed links of campaign template messages."""
        return Links(self.config)

    @cached_property
    def wechat_sender(self) -> WechatSender:
        """Sends the outbound WeChat messages (the worker's ``wechat.*`` tasks)."""
        return WechatSender(
            self.database.sessions,
            self.wechat_api,
            self.receipts,
            windows=self.redis,
            refused=CallBacks(self.database.sessions, self.outbound),
        )

    @cached_property
    def campaign_sender(self) -> CampaignSender:
        """Sends campaign pushes (the worker's ``policy.*`` tasks), on a WeChat client that never
        repeats a call itself (``retries=0``: one that may have reached WeChat is not sent twice,
        web/policy/delivery.py) and sharing the access_token through Redis."""
        config = self.config
        api = WechatApi(self.redis, config.wechat_api_base, config.wechat_app_id, config.wechat_app_secret, retries=0)
        quota = DailyQuota(self.redis, config.wechat_app_id, parse_limits(config.wechat_daily_quota))
        return CampaignSender(
            self.database.sessions, api, PushPacer(self.redis), self.receipts, self.links.for_delivery, quota=quota
        )

    @cached_property
    def rasa_api(self) -> RasaApi:
        """Rasa's HTTP API as the desk uses it: a conversation's tracker read, paused, resumed."""
        return RasaApi(self.config.rasa_urls, self.config.rasa_token)

    @cached_property
    def staff_backoffice(self) -> BackofficeClient:
        """The back-office client of the staff pages (console, handbook): one retry rather than
        three, so a page waited on by an agent answers soon when the back-office is down."""
        return BackofficeClient(self.config.backoffice_url, self.config.backoffice_token, retries=1)

    @cached_property
    def desk_events(self) -> Publisher:
        """Publishes the desk's changes once their transaction commits (the console's live
        streams); pauses Rasa's tracker of a conversation just queued."""
        return Publisher(self.redis, self.rasa_api)

    @cached_property
    def alert_queue(self) -> AlertQueue:
        """Queues the sending of each on-call alert once the desk's transaction commits (installed on
        the web process's sessions by create_app)."""
        return AlertQueue(celery_enqueue)

    @cached_property
    def oncall_delivery(self) -> Delivery:
        """Sends on-call alerts through the SMS/voice gateway (the worker's ``oncall.deliver``) and
        tells the console what became of them."""
        gateway = AlertGateway(self.config.alert_gateway_url, self.config.alert_gateway_token)
        return Delivery(
            self.database.sessions, gateway, self.config.public_base_url, announce=self.desk_events.announce
        )

    @cached_property
    def document_store(self) -> Store:
        """Where residents' document photos lie (a directory, or an S3-compatible bucket)."""
        return open_store(self.config.document_store, self.config.s3_endpoint_url)

    @cached_property
    def documents(self) -> Intake:
        """Residents' photos of documents, stored with their open applications (web/documents/):
        each domain whose applications take documents is one source here."""
        config = self.config
        return Intake(
            self.database.sessions,
            self.document_store,
            self.redis,
            sources=document_sources(self.backoffice),
            max_bytes=config.document_max_bytes,
            verified=partial(verified, self.backoffice),
            verify=partial(requests.ask_to_verify, self.binding_links),
            scanner=Clamd(config.clamd_address) if config.clamd_address else None,
        )

    @cached_property
    def console(self) -> ConsoleServices:
        """What the agent console's views use besides the database."""
        return ConsoleServices(
            rasa=self.rasa_api,
            bot=self.rasa,
            backoffice=self.staff_backoffice,
            redis=self.redis,
            documents=self.document_store,
        )
