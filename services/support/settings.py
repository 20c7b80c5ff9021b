"""The support service's settings: one place, from the environment."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from libs.settings import ServiceSettings
from services.support.domain.disputes import DisputeWindows
from services.support.domain.health import HealthRules
from services.support.domain.privacy import ANSWERING_SERVICES


class SupportSettings(ServiceSettings):
    service_name: str = "support"
    http_port: int = 8005
    sla_minute_seconds: float = Field(
        default=60, gt=0, le=60,
        description="How long a business minute of an SLA target lasts. Tests and demos "
                    "shrink it; production keeps 60.")
    sla_warning_fraction: float = Field(
        default=0.25, gt=0, lt=1, description="A clock warns when this share of its target "
                                              "is left.")
    reopen_window_seconds: float = Field(
        default=7 * 86_400, gt=0, le=90 * 86_400,
        description="How long a requester may reopen a solved ticket by writing again.")
    responder_threshold: float = Field(
        default=0.5, ge=0, le=1, description="Below this confidence the automatic responder "
                                             "hands the ticket to a person.")
    responder_delay_seconds: float = Field(
        default=0, ge=0, le=300, description="How long the responder waits before answering "
                                             "(lets a requester add a second message).")
    tickets_per_hour: int = Field(default=20, ge=1, le=10_000,
                                  description="Tickets one requester may open per hour.")
    tier_thresholds: dict[str, int] = Field(
        default_factory=lambda: {"growing": 100, "top": 1000},
        description="A seller's support tier by its orders in the last 30 days.")
    dispute_hour_seconds: float = Field(
        default=3600, gt=0, le=3600,
        description="How long an hour of a dispute's deadlines lasts (shrunk in tests).")
    dispute_seller_response_hours: int = Field(default=72, ge=1, le=720)
    dispute_buyer_escalation_hours: int = Field(default=72, ge=1, le=720)
    dispute_agent_decision_hours: int = Field(default=48, ge=1, le=720)
    dispute_after_delivery_days: int = Field(default=30, ge=1, le=365)
    health_window_days: float = Field(default=30, gt=0, le=365,
                                      description="The rolling window of the health score.")
    health_warning_below: int = Field(default=80, ge=1, le=100)
    health_suspension_below: int = Field(default=60, ge=0, le=100)
    privacy_services: list[str] = Field(
        default_factory=lambda: list(ANSWERING_SERVICES), min_length=1,
        description="The services that must answer a privacy request before it is done.")
    privacy_requests_per_day: int = Field(
        default=5, ge=1, le=100, description="Privacy requests one buyer may make a day.")
    privacy_archive_seconds: float = Field(
        default=7 * 86_400, gt=0, le=90 * 86_400,
        description="How long an export's archive can be downloaded once complete.")

    def sla_minute(self) -> timedelta:
        return timedelta(seconds=self.sla_minute_seconds)

    def dispute_windows(self) -> DisputeWindows:
        hour = timedelta(seconds=self.dispute_hour_seconds)
        return DisputeWindows(
            seller_response=hour * self.dispute_seller_response_hours,
            buyer_escalation=hour * self.dispute_buyer_escalation_hours,
            agent_decision=hour * self.dispute_agent_decision_hours,
            after_delivery=hour * 24 * self.dispute_after_delivery_days)

    def health_rules(self) -> HealthRules:
        return HealthRules(window=timedelta(days=self.health_window_days),
                           warning_below=self.health_warning_below,
                           suspension_below=self.health_suspension_below)
