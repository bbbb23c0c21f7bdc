"""Supported versions, checked from package metadata at start-up."""

import pytest

from freezecheck.errors import UnsupportedVersionError
from freezecheck.train import backend


@pytest.mark.parametrize("version", ["2.15.1", "2.16.2", "2.21.0"])
def test_supported_versions_pass(monkeypatch, version):
    monkeypatch.setattr(backend, "tensorflow_version", lambda: version)
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    assert backend.check_supported() == version


@pytest.mark.parametrize("version", ["2.14.1", "2.22.0", "3.0.0"])
def test_unsupported_version_is_refused_with_the_range_and_a_fix(monkeypatch, version):
    monkeypatch.setattr(backend, "tensorflow_version", lambda: version)
    with pytest.raises(UnsupportedVersionError,
                       match=rf"TensorFlow {version} is not supported: .* 2\.15 to 2\.21.*pip install"):
        backend.check_supported()


def test_missing_tensorflow_is_refused(monkeypatch):
    monkeypatch.setattr(backend, "tensorflow_version", lambda: None)
    with pytest.raises(UnsupportedVersionError, match="TensorFlow is not installed"):
        backend.check_supported()


def test_legacy_keras_without_tf_keras_is_refused(monkeypatch):
    monkeypatch.setattr(backend, "tensorflow_version", lambda: "2.21.0")
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    real_version = backend.importlib.metadata.version

    def version(name):
        if name == "tf-keras":
            raise backend.importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(backend.importlib.metadata, "version", version)
    with pytest.raises(UnsupportedVersionError, match="pip install 'tf-keras==2.21.*'"):
        backend.check_supported()


@pytest.mark.parametrize(
    "version, legacy, name",
    [("2.15.1", "", "tf215"), ("2.21.0", "", "tf221"), ("2.21.0", "1", "tf221-keras2")],
)
def test_environment_names_match_the_tox_environments(monkeypatch, version, legacy, name):
    monkeypatch.setattr(backend, "tensorflow_version", lambda: version)
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", legacy)
    assert backend.environment_name().split("-", 1)[1] == name


def test_unsupported_version_stops_a_session_that_trains_at_start_up(pytester, monkeypatch):
    monkeypatch.setattr(backend, "tensorflow_version", lambda: "2.11.0")
    pytester.makepyfile("def test_training(freezecheck_run): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "TensorFlow 2.11.0 is not supported" in result.stderr.str()
    result.stdout.no_fnmatch_line("*test_training PASSED*")


def test_missing_tensorflow_does_not_stop_a_session_that_does_not_train(pytester, monkeypatch):
    """pytest in a project that merely has freezecheck installed keeps working."""
    monkeypatch.setattr(backend, "tensorflow_version", lambda: None)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
