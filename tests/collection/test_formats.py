"""The shapes of each format: what the tool needs to import and run it, and no key anywhere."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace
from typing import Any

import yaml

from app.collection import bruno, insomnia, postman
from tests.collection.support import BASE_URL, TARGET, operations, spec

KEY_LIKE = re.compile(r"_(live|test)_[a-z0-9]+_[A-Za-z0-9]{36}")


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def postman_requests(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for folder in collection["item"] for item in folder["item"]]


class TestPostman:
    def test_collection_is_v21_with_bearer_auth_and_the_variables(self) -> None:
        collection = postman.collection(spec())
        assert collection["info"]["schema"] == postman.SCHEMA
        assert collection["auth"] == {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{api_key}}", "type": "string"}],
        }
        variables = {v["key"]: v["value"] for v in collection["variable"]}
        assert variables["base_url"] == BASE_URL and variables["entity_id"] == TARGET.entity_id
        assert "api_key" not in variables

    def test_one_request_per_operation_with_body_scope_and_test(self) -> None:
        requests = postman_requests(postman.collection(spec()))
        found = {(r["request"]["method"], r["request"]["url"]["raw"]) for r in requests}
        assert found == {(m, "{{base_url}}" + p) for m, p in operations()}
        create = next(r for r in requests if r["name"] == "Create an order")
        body = json.loads(create["request"]["body"]["raw"])
        assert body["items"][0]["quantity"] >= 1
        assert "`orders:write`" in create["request"]["description"]
        assert all(any(e["listen"] == "test" for e in r["event"]) for r in requests)

    def test_webhook_receiver_folder_explains_signature_checks(self) -> None:
        folder = postman.collection(spec())["item"][-1]
        assert folder["name"] == "Webhook receiver" and folder["item"] == []
        assert "webhook-signature" in folder["description"]

    def test_environment_holds_an_empty_secret_key(self) -> None:
        env = postman.environment(spec())
        assert env["_postman_variable_scope"] == "environment"
        values = {v["key"]: v for v in env["values"]}
        assert values["base_url"]["value"] == BASE_URL
        assert values["entity_id"]["value"] == TARGET.entity_id
        assert values["api_key"] == {
            "key": "api_key",
            "value": "",
            "type": "secret",
            "enabled": True,
        }

    def test_the_same_download_is_the_same_file(self) -> None:
        assert postman.collection(spec()) == postman.collection(spec())


class TestBrunoOpenCollection:
    def test_layout_auth_and_one_file_per_operation(self) -> None:
        files = unzip(bruno.opencollection_zip(spec()))
        root = "acme-test/"
        assert all(name.startswith(root) for name in files)
        top = yaml.safe_load(files[root + "opencollection.yml"])
        assert top["opencollection"] == "1.0.0"
        assert top["request"]["auth"] == {"type": "bearer", "token": "{{api_key}}"}
        assert "webhook-signature" in top["docs"]
        requests = [
            yaml.safe_load(text)
            for name, text in files.items()
            if name.endswith(".yml")
            and "/environments/" not in name
            and not name.endswith(("folder.yml", "opencollection.yml"))
        ]
        found = {(r["http"]["method"], r["http"]["url"]) for r in requests}
        assert found == {(m, "{{base_url}}" + p) for m, p in operations()}
        folders = [n for n in files if n.endswith("/folder.yml")]
        assert len(folders) == len(spec().folders)

    def test_environment_has_an_empty_secret_key(self) -> None:
        files = unzip(bruno.opencollection_zip(spec()))
        env = yaml.safe_load(files["acme-test/environments/acme-test.yml"])
        assert env == {
            "name": "acme-test",
            "variables": [
                {"name": "base_url", "value": BASE_URL},
                {"name": "entity_id", "value": TARGET.entity_id},
                {"secret": True, "name": "api_key"},
            ],
        }


class TestBrunoClassic:
    def test_layout_auth_environment_and_requests(self) -> None:
        files = unzip(bruno.classic_zip(spec()))
        assert json.loads(files["acme-test/bruno.json"])["type"] == "collection"
        collection = files["acme-test/collection.bru"]
        assert "auth {\n  mode: bearer\n}" in collection
        assert "token: {{api_key}}" in collection
        env = files["acme-test/environments/acme-test.bru"]
        assert f"entity_id: {TARGET.entity_id}" in env
        assert "vars:secret [\n  api_key\n]" in env
        bru = [t for n, t in files.items() if n.endswith(".bru") and "folder.bru" not in n]
        urls = {
            line.split("url: ", 1)[1]
            for text in bru
            for line in text.splitlines()
            if line.startswith("  url: ")
        }
        assert urls == {"{{base_url}}" + p for _, p in operations()}


class TestInsomnia:
    """No ``inso`` here: the structure Insomnia's v5 importer reads, checked field by field."""

    def test_v5_document_structure(self) -> None:
        doc = yaml.safe_load(insomnia.yaml_text(spec()))
        assert doc["type"] == "collection.insomnia.rest/5.0"
        assert doc["schema_version"] == "5.1"
        assert doc["meta"]["id"].startswith("wrk_")
        ids = [doc["meta"]["id"]]
        requests = []
        for folder in doc["collection"]:
            assert "method" not in folder and "url" not in folder  # read as a folder
            assert folder["meta"]["id"].startswith("fld_")
            ids.append(folder["meta"]["id"])
            for item in folder["children"]:
                assert item["meta"]["id"].startswith("req_")
                assert set(item["settings"]) >= {
                    "renderRequestBody",
                    "encodeUrl",
                    "followRedirects",
                    "cookies",
                    "rebuildPath",
                }
                assert set(item["settings"]["cookies"]) == {"send", "store"}
                assert all(set(h) >= {"name", "value"} for h in item["headers"])
                ids.append(item["meta"]["id"])
                requests.append(item)
        assert len(ids) == len(set(ids))
        found = {(r["method"], r["url"]) for r in requests}
        expected = {
            (m, "{{ _.base_url }}" + p.replace("{{", "{{ _.").replace("}}", " }}"))
            for m, p in operations()
        }
        assert found == expected

    def test_bearer_token_from_api_key_on_every_resource_folder(self) -> None:
        doc = yaml.safe_load(insomnia.yaml_text(spec()))
        *resources, receiver = doc["collection"]
        for folder in resources:
            assert folder["authentication"]["type"] == "bearer"
            assert folder["authentication"]["token"] == "{{ _.api_key }}"
        assert receiver["name"] == "Webhook receiver"
        assert "webhook-signature" in receiver["meta"]["description"]

    def test_environment_is_the_entitys_with_an_empty_private_key(self) -> None:
        env = yaml.safe_load(insomnia.yaml_text(spec()))["environments"]
        assert env["meta"]["id"].startswith("env_")
        [entity] = env["subEnvironments"]
        assert entity["meta"]["isPrivate"] is True
        assert entity["data"] == {
            "base_url": BASE_URL,
            "entity_id": TARGET.entity_id,
            "api_key": "",
        }


class TestNoKeyAnywhere:
    def test_no_format_holds_anything_shaped_like_a_key(self) -> None:
        built = spec()
        texts = [
            json.dumps(postman.collection(built)),
            json.dumps(postman.environment(built)),
            insomnia.yaml_text(built),
            *unzip(bruno.opencollection_zip(built)).values(),
            *unzip(bruno.classic_zip(built)).values(),
        ]
        assert not [t for t in texts if KEY_LIKE.search(t)]


class TestModeGuard:
    """The collections target their mode: a script before every request checks the key's."""

    def test_postman_and_bruno_check_the_keys_mode_before_each_request(self) -> None:
        built = spec()
        [event] = postman.collection(built)["event"]
        assert event["listen"] == "prerequest"
        script = "\n".join(event["script"]["exec"])
        assert '!== "test"' in script and "skipRequest" in script
        top = yaml.safe_load(unzip(bruno.opencollection_zip(built))["acme-test/opencollection.yml"])
        [check] = top["request"]["scripts"]
        assert check["type"] == "before-request" and '!== "test"' in check["code"]
        classic = unzip(bruno.classic_zip(built))["acme-test/collection.bru"]
        assert "script:pre-request {" in classic and '!== "test"' in classic

    def test_a_live_download_checks_for_live(self) -> None:
        live = spec(replace(TARGET, mode="live"))
        assert '!== "live"' in "\n".join(postman.collection(live)["event"][0]["script"]["exec"])
