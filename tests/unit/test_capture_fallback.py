"""A training step that cannot be captured as a CUDA graph: one line says so and the run goes on
eagerly, with the same weights as a run that never tried (capture simulated on the CPU: the
simulated ``torch.cuda.graph`` makes the step's forward fail as an operation that reads the
device on the host does during a real capture). The real failure runs in tests/cuda."""
import contextlib

import pytest
import torch

import gendd.engine.capture as capture
from gendd.engine.capture import CapturedStep, StepProgram
from gendd.engine.optim import build_optimizer
from helpers.toys import CEDistiller, ToyNet

CAPTURE_ERROR = "CUDA error: operation not permitted when stream is capturing"


class SimulatedCapture:
    """Stands in for ``torch.cuda.graph``: while it is open, ``UncapturableCE`` fails; a body
    that failed makes its end fail too, as ``capture_end`` does after an invalidated capture."""
    open = False
    opened = 0

    def __init__(self, graph, capture_error_mode="global"):
        self.graph, self.mode = graph, capture_error_mode

    def __enter__(self):
        SimulatedCapture.open = True
        SimulatedCapture.opened += 1

    def __exit__(self, kind, error, trace):
        SimulatedCapture.open = False
        if kind is not None:
            raise RuntimeError("CUDA error: operation failed due to a previous error during capture")


class UncapturableCE(CEDistiller):
    def forward_train(self, images, labels):
        if SimulatedCapture.open:
            raise RuntimeError(f"{CAPTURE_ERROR}\nSearch for `cudaErrorStreamCaptureUnsupported'")
        return super().forward_train(images, labels)


@pytest.fixture
def simulated_cuda(monkeypatch):
    calls = {"streams": [], "generators": []}
    monkeypatch.setattr(SimulatedCapture, "opened", 0)
    monkeypatch.setattr(torch.cuda, "graph", SimulatedCapture)
    monkeypatch.setattr(torch.cuda, "CUDAGraph", object)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: None)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda: "stream before the capture")
    monkeypatch.setattr(torch.cuda, "set_stream", calls["streams"].append)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "default_generators", ("generator of device 0",))
    monkeypatch.setattr(capture, "fresh_generator_state", calls["generators"].append)
    monkeypatch.setattr(CapturedStep, "_on_side_stream", lambda self, images, labels: self.program(images, labels))
    return calls


def train(use_graph, notices, steps=7):
    torch.manual_seed(0)
    model = UncapturableCE(ToyNet(bn=True), noise=0.1).train()
    opt = build_optimizer(model.param_groups(5e-4), "sgd", lr=0.1)
    step = CapturedStep(StepProgram(model, model, opt, contextlib.nullcontext), use_graph, notices.append)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        torch.manual_seed(int(torch.randint(0, 1000, (), generator=g)))
        step(torch.randn(4, 3, 8, 8, generator=g), torch.randint(0, 4, (4,), generator=g))
    return model.state_dict(), step


def test_a_failed_capture_says_so_once_and_the_run_goes_on_eagerly(simulated_cuda):
    notices = []
    captured, step = train(use_graph=True, notices=notices)
    eager, _ = train(use_graph=False, notices=[])
    assert SimulatedCapture.opened == 1 and not step.use_graph and step.graph is None  # never tried again
    assert len(notices) == 1 and "\n" not in notices[0], notices
    assert "could not be captured" in notices[0] and CAPTURE_ERROR in notices[0] and "eagerly" in notices[0]
    assert simulated_cuda["streams"] == ["stream before the capture"]
    assert simulated_cuda["generators"] == ["generator of device 0"]
    for k in eager:  # the batch of the failed capture was trained on once, eagerly: same weights
        assert torch.equal(captured[k], eager[k]), k


def test_first_cause_is_the_error_that_stopped_the_capture():
    try:
        try:
            raise RuntimeError(f"{CAPTURE_ERROR}\nmore detail")
        except RuntimeError:
            raise RuntimeError("capture invalidated")
    except RuntimeError as err:
        assert capture._first_cause(err) == f"RuntimeError: {CAPTURE_ERROR}"
