"""The Helm chart (deploy/helm/socialcommerce), offline: `helm lint`, then `helm template`
validated against Kubernetes' own schemas (the kubernetes-validate package ships them), then
what an operator relies on, read from the rendered objects (issue 16, item 2).

helm is built from the Go module proxy by `make tools` (`.ci/run` does it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from libs.devstack.servers import REPO_ROOT

CHART = REPO_ROOT / "deploy/helm/socialcommerce"
HELM = REPO_ROOT / ".tools/bin/helm"
KUBERNETES = "1.33.0"
SERVICES = ["catalog", "orders", "live", "fulfillment", "support", "webhooks", "discovery"]
SERVERS = {9092, 5432, 6379}


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    assert HELM.exists(), "helm is not built: run `make tools` (Go module proxy)"
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=120)


def render(*sets: str) -> str:
    rendered = helm("template", "shop", str(CHART), "--namespace", "shop",
                    "--kube-version", KUBERNETES, *[f"--set={s}" for s in sets])
    assert rendered.returncode == 0, rendered.stderr
    return rendered.stdout


def validate(manifests: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "rendered.yaml"
    path.write_text(manifests)
    return subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet",
                           "-k", KUBERNETES, str(path)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def objects() -> dict[tuple[str, str], dict[str, Any]]:
    return {(doc["kind"], doc["metadata"]["name"]): doc
            for doc in yaml.safe_load_all(render()) if doc}


def test_the_chart_lints_and_renders_objects_kubernetes_accepts(tmp_path: Path) -> None:
    linted = helm("lint", "--strict", str(CHART), "--kube-version", KUBERNETES)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    checked = validate(render(), tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = validate(render("defaults.autoscaling.enabled=false", "defaults.replicas=two"),
                      tmp_path)
    assert broken.returncode != 0, "the validator must catch a replica count that is no number"
    assert "replicas" in broken.stdout + broken.stderr


def test_each_service_has_probes_resources_autoscaling_and_a_disruption_budget(
        objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    for name in SERVICES:
        pod = objects["Deployment", name]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
        hpa = objects["HorizontalPodAutoscaler", name]["spec"]
        assert hpa["metrics"][0]["resource"]["name"] == "cpu"
        assert hpa["maxReplicas"] <= 12, "never more consumers than partitions"
        assert objects["PodDisruptionBudget", name]["spec"]["maxUnavailable"] == 1
        assert objects["Service", name]["spec"]["ports"][0]["port"] == 8000


def test_secrets_come_only_from_a_kubernetes_secret(
        objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    values = (CHART / "values.yaml").read_text()
    assert "JWT_SECRET=" in values and "--from-literal" in values, "documented, not given"
    for (kind, name), doc in objects.items():
        if kind not in ("Deployment", "Job"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for variable in container.get("env", []):
                if any(word in variable["name"] for word in ("SECRET", "KEY", "PASSWORD")) or \
                        variable["name"].endswith("_DATABASE_URL"):
                    assert "secretKeyRef" in variable["valueFrom"], f"{name}: {variable}"
    assert not any(kind == "Secret" for kind, _ in objects), "the operator owns the Secret"


def test_topics_then_migrations_run_before_each_rollout(
        objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    topics = objects["Job", "topics"]["metadata"]["annotations"]
    assert topics["helm.sh/hook"] == "pre-install,pre-upgrade"
    command = objects["Job", "topics"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:3] == ["python", "-m", "ops"] and "topics" in command
    for name in SERVICES:
        job = objects["Job", f"migrate-{name}"]
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(annotations["helm.sh/hook-weight"]) > int(topics["helm.sh/hook-weight"])
        [container] = job["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", "ops", "migrate", "--service", name]


def test_services_reach_only_their_servers_and_are_reached_only_by_the_gateway(
        objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    deny = objects["NetworkPolicy", "default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny
    for name in SERVICES:
        policy = objects["NetworkPolicy", name]["spec"]
        ports = {port["port"] for rule in policy["egress"] for port in rule["ports"]}
        allowed = SERVERS | {53} | ({443, 80} if name == "webhooks" else set())
        assert ports == allowed, f"{name}: {ports}"
        [reached] = policy["ingress"]
        assert reached["from"][0]["podSelector"]["matchLabels"][
            "app.kubernetes.io/name"] == "gateway"
        if name == "webhooks":
            internet = next(rule for rule in policy["egress"] if "ipBlock" in rule["to"][0])
            assert "10.0.0.0/8" in internet["to"][0]["ipBlock"]["except"], "no private hops"


def test_the_gateway_runs_composes_config_behind_the_ingress(
        objects: dict[tuple[str, str], dict[str, Any]]) -> None:
    config = objects["ConfigMap", "gateway"]["data"]["nginx.conf"]
    compose = (REPO_ROOT / "deploy/nginx/nginx.conf").read_text()
    assert "http://$service.shop.svc.cluster.local:8000" in config
    assert "resolver kube-dns.kube-system.svc.cluster.local" in config
    assert "real_ip_header X-Forwarded-For;" in config, "limits count clients, not the ingress"
    for shared in ("limit_req_zone", "log_format paths_only", "/metrics$", "portal"):
        assert shared in compose and shared in config
    ingress = objects["Ingress", "gateway"]["spec"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "gateway"
    assert objects["ConfigMap", "gateway"]["data"]["asyncapi.json"].lstrip().startswith("{")
