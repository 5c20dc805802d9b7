"""The hub base model is fetched once, at its pinned revision, into the base model folder; a local folder is copied."""

import json

from skillfactory.stages import download_base_model


def test_a_hub_model_is_fetched_at_its_revision_into_the_folder(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(download_base_model, "snapshot_download", lambda **kwargs: calls.append(kwargs))
    params = {"hub_id": "org/model", "revision": "abc123"}
    download_base_model.main(["--output", str(tmp_path / "base"), "--params", json.dumps(params)])
    assert calls == [{"repo_id": "org/model", "revision": "abc123", "local_dir": str(tmp_path / "base")}]


def test_a_local_model_folder_is_copied(tmp_path):
    source = tmp_path / "model"
    source.mkdir()
    (source / "config.json").write_text("{}")
    download_base_model.fetch(str(source), None, str(tmp_path / "base"))
    assert (tmp_path / "base" / "config.json").read_text() == "{}"
