"""The public surface of drivers/ and simulators/ is what ``__all__`` says."""

import importlib
import pkgutil

import pytest

import drivers
import simulators


@pytest.mark.parametrize("package", [drivers, simulators])
def test_all_names_exist(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert len(names) == len(set(names)) > 10
    for name in names:
        assert getattr(package, name) is not None, name


@pytest.mark.parametrize("package", [drivers, simulators])
def test_every_module_declares_its_public_surface(package: object) -> None:
    path = package.__path__  # type: ignore[attr-defined]
    for info in pkgutil.iter_modules(path):
        if info.name == "__main__" or info.ispkg:  # sub-packages (the crowd simulator) own theirs
            continue
        name = f"{package.__name__}.{info.name}"  # type: ignore[attr-defined]
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), module.__name__
        for member in module.__all__:
            assert hasattr(module, member), f"{name}.{member}"
