"""Every platform table, imported in one place so Alembic and tests see the full metadata."""

from alot_platform.analytics.models import LedgerDay, LedgerRollup, LedgerSettlement
from alot_platform.audit.models import AuditEntry
from alot_platform.auth.models import AuthSession, OneTimeToken, RefreshToken
from alot_platform.compliance.models import TermsAcceptance
from alot_platform.credits.models import CreditTransaction, UserUniversalCredits
from alot_platform.db import Base
from alot_platform.draws.models import LotteryDraw
from alot_platform.entries.models import LotEntry, LotEntryPurchase, LotFreeEntry
from alot_platform.hosts.models import Host
from alot_platform.images.models import Image
from alot_platform.lots.models import Lot, ProductClass
from alot_platform.notifications.models import Notification, NotificationPreferences
from alot_platform.outbox.models import OutboxItem
from alot_platform.payments.models import PaymentEvent, PaymentFee
from alot_platform.payouts.models import HostPayout
from alot_platform.play.models import PlaySettings
from alot_platform.refunds.models import RefundRequest
from alot_platform.reveals.models import Reveal
from alot_platform.trivia.models import LotTriviaAttempt
from alot_platform.users.models import User, UserRole
from alot_platform.witnesses.models import WitnessCosignature

__all__ = [
    "AuditEntry",
    "AuthSession",
    "Base",
    "CreditTransaction",
    "Host",
    "HostPayout",
    "Image",
    "LedgerDay",
    "LedgerRollup",
    "LedgerSettlement",
    "Lot",
    "LotEntry",
    "LotEntryPurchase",
    "LotFreeEntry",
    "LotTriviaAttempt",
    "LotteryDraw",
    "Notification",
    "NotificationPreferences",
    "OneTimeToken",
    "OutboxItem",
    "PaymentEvent",
    "PaymentFee",
    "PlaySettings",
    "ProductClass",
    "RefreshToken",
    "RefundRequest",
    "Reveal",
    "TermsAcceptance",
    "User",
    "UserRole",
    "UserUniversalCredits",
    "WitnessCosignature",
]
