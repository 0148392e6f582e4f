"""The champion rule: when the alias moves, and what the run says."""

from __future__ import annotations

import math

import pytest

from credit_risk.tracking import champion_decision

RULE = dict(alias="champion", metric="test_auc", greater_is_better=True)


@pytest.mark.parametrize(
    ("value", "champion_version", "champion_value", "moves", "says"),
    [
        (0.70, None, None, True, "no 'champion' yet: version 3 (test_auc=0.7000) becomes champion"),
        (0.70, 2, 0.65, True, "beats champion v2 test_auc=0.6500: alias moved"),
        (0.70, 2, 0.75, False, "does not beat champion v2 test_auc=0.7500: alias stays"),
        (0.70, 2, 0.70, False, "does not beat"),  # a tie keeps the approved model
        (math.nan, None, None, False, "is not a finite value: it cannot become champion"),
        (math.nan, 2, 0.6, False, "alias stays"),
        (0.70, 2, math.nan, True, "champion v2 has no comparable test_auc (nan); version 3"),
        (0.70, 2, None, True, "has no comparable test_auc (None)"),
        (0.70, 3, 0.70, False, "version 3 is already champion"),
    ],
)
def test_champion_decision(value, champion_version, champion_value, moves, says):
    moved, decision = champion_decision(
        version=3, value=value, champion_version=champion_version, champion_value=champion_value, **RULE
    )
    assert moved is moves
    assert says in decision


def test_lower_is_better_metrics():
    moved, decision = champion_decision(
        version=3, value=0.09, champion_version=1, champion_value=0.10,
        alias="champion", metric="test_brier", greater_is_better=False,
    )
    assert moved and "beats champion v1 test_brier=0.1000" in decision


def test_champion_without_its_hash_tag_is_replaced_even_by_a_worse_version():
    moved, decision = champion_decision(
        version=3, value=0.60, champion_version=2, champion_value=0.90, champion_verified=False, **RULE
    )
    assert moved
    assert decision == ("champion v2 carries no bundle_sha256 tag, so it cannot be verified or scored; "
                        "version 3 (test_auc=0.6000) replaces it: alias moved")


def test_an_unverified_champion_is_not_replaced_by_a_non_finite_version():
    moved, decision = champion_decision(
        version=3, value=math.nan, champion_version=2, champion_value=0.9, champion_verified=False, **RULE
    )
    assert not moved and "cannot become champion" in decision


@pytest.mark.parametrize("champion_schema", ["other-schema", None])
def test_champion_of_another_schema_is_replaced_even_by_a_worse_version(champion_schema):
    # A champion trained on other tables or features cannot score this data, and its metric
    # was measured on other data: it must not block every new version (alias stuck for good).
    moved, decision = champion_decision(
        version=3, value=0.60, champion_version=2, champion_value=0.90,
        schema="this-schema", champion_schema=champion_schema, **RULE
    )
    assert moved
    assert decision == ("champion v2 was trained on another data schema or feature set, so its test_auc "
                        "is not comparable and it cannot score this data; version 3 (test_auc=0.6000) "
                        "replaces it: alias moved")


def test_champion_of_the_same_schema_is_compared_on_the_metric():
    moved, decision = champion_decision(
        version=3, value=0.60, champion_version=2, champion_value=0.90,
        schema="s", champion_schema="s", **RULE
    )
    assert not moved and "does not beat champion v2" in decision


# ----------------------------------------------------------------------------- parameters, server check, metrics


def test_parameters_are_flattened_to_one_dotted_naming_scheme():
    from credit_risk.store.tracking import MAX_PARAM_CHARS, _flat_params

    flat = _flat_params({"config": {"split": {"valid_start": None, "folds": 5}, "domains": ["food"]},
                         "model": {"num_leaves": 31}, "run": {"output": "generic"}, "long": "x" * 10_000})
    assert flat == {"config.split.valid_start": "null", "config.split.folds": "5", "config.domains": '["food"]',
                    "model.num_leaves": "31", "run.output": "generic", "long": "x" * MAX_PARAM_CHARS}


def test_a_silent_tracking_server_fails_within_the_timeout():
    import socket
    import time

    from credit_risk.exceptions import TrackingError
    from credit_risk.store.tracking import check_tracking_server

    with socket.socket() as server:  # accepts connections (backlog) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        start = time.perf_counter()
        with pytest.raises(TrackingError, match=rf"tracking server {url} cannot be reached \(.*waited at most 0.5 s\)"):
            check_tracking_server(url, timeout=0.5)
        assert time.perf_counter() - start < 3


def test_any_http_answer_means_the_server_is_there_and_other_stores_are_not_asked():
    import http.server
    import threading

    from credit_risk.store.tracking import check_tracking_server

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), NotFound) as httpd:
        thread = threading.Thread(target=httpd.handle_request, daemon=True)
        thread.start()
        check_tracking_server(f"http://127.0.0.1:{httpd.server_address[1]}", timeout=5)
        thread.join(5)
    check_tracking_server("sqlite:////nonexistent/mlflow.db")  # not a server: nothing to ask


def test_evaluation_metrics_are_finite_on_two_classes_and_nan_on_one():
    import numpy as np

    from credit_risk.store.tracking import evaluation_metrics

    auc, ks, brier = evaluation_metrics()
    y, p = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    assert auc.eval_fn(p, y).aggregate_results["auc"] == pytest.approx(0.75)
    assert ks.eval_fn(p, y).aggregate_results["ks"] == pytest.approx(0.5)
    assert brier.eval_fn(p, y).aggregate_results["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert math.isnan(auc.eval_fn(p[:1], y[:1]).aggregate_results["auc"])  # MLflow's first-row probe


def test_a_server_failing_mid_way_is_a_tracking_error_and_local_store_errors_are_not():
    from mlflow.exceptions import MlflowException

    from credit_risk.exceptions import TrackingError
    from credit_risk.store.tracking import _server_failures

    expected = r"tracking server http://host:5000 failed: API request .* refused; check that it runs and answers"
    with pytest.raises(TrackingError, match=expected), _server_failures("http://host:5000"):
        raise MlflowException("API request to http://host:5000/api/2.0/mlflow/runs/log-batch refused")
    with pytest.raises(MlflowException), _server_failures("sqlite:////tmp/mlflow.db"):
        raise MlflowException("database is locked")
