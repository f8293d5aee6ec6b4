"""No Docker engine runs here, so the compose file and the README's variable list
are checked by reading them."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = _compose()["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"] and "beat" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_every_environment_variable_the_settings_read_is_documented():
    settings_text = (ROOT / "mtss" / "settings.py").read_text()
    names = set(re.findall(r'env(?:str|bool|int|list)\("([A-Z_]+)"', settings_text))
    readme = (ROOT / "README.md").read_text()
    undocumented = sorted(name for name in names if f"`{name}`" not in readme)
    assert len(names) > 15
    assert undocumented == [], f"README.md does not document: {undocumented}"
