"""torchvision and timm classifiers behind the model contract (``gendd.adapters.wrap``): the same
outputs and state_dict keys as the library's model, training in a plain loop of the user's own,
and a clear TypeError, at build time or with the shape, for models that break the contract."""
import pytest
import timm
import torch
import torchvision
from torch import nn

from gendd.adapters import LastLinearAdapter, TimmAdapter, wrap
from gendd.distillers import build
from helpers.threads import torch_threads
from helpers.lanes import slow_cases

X = torch.randn(4, 3, 32, 32)


def torchvision_model(name, classes=10):
    return getattr(torchvision.models, name)(num_classes=classes)


@pytest.mark.parametrize("name, dim", slow_cases(
    [("resnet18", 512), ("mobilenet_v3_small", 1024), ("efficientnet_b0", 1280)], {("efficientnet_b0", 1280)},
    several_arguments=True))
def test_torchvision_wrapped_keeps_outputs_and_keys(name, dim):
    model = torchvision_model(name).eval()
    adapter = wrap(model)
    assert isinstance(adapter, LastLinearAdapter) and adapter.model is model
    with torch.no_grad():
        features = adapter.forward_features(X)
        assert features.shape == (4, dim) and adapter.fc.in_features == dim
        assert torch.allclose(adapter(X), model(X), atol=1e-6)
    assert list(adapter.model.state_dict()) == list(torchvision_model(name).state_dict())
    assert [n for n, _ in adapter.named_parameters()] == [f"model.{n}" for n, _ in model.named_parameters()]


@pytest.mark.parametrize("name, kwargs", [("resnet18", {}), ("test_vit", {"img_size": 32})])
def test_timm_wrapped_uses_pre_logits_and_classifier(name, kwargs):
    model = timm.create_model(name, num_classes=10, **kwargs).eval()
    adapter = wrap(model)
    assert isinstance(adapter, TimmAdapter) and adapter.fc is model.get_classifier()
    with torch.no_grad():
        expected = model.forward_head(model.forward_features(X), pre_logits=True)
        assert torch.equal(adapter.forward_features(X), expected) and expected.dim() == 2
        assert torch.allclose(adapter(X), model(X), atol=1e-6)


def test_a_model_that_follows_the_contract_is_returned_as_it_is():
    from helpers.toys import ToyNet
    model = ToyNet()
    assert wrap(model) is model and wrap(wrap(torchvision_model("resnet18"))).__class__ is LastLinearAdapter


def test_raw_timm_model_is_refused_where_the_distiller_is_built():
    student, teacher = timm.create_model("resnet18", num_classes=10), wrap(torchvision_model("resnet34"))
    with pytest.raises(TypeError, match="timm model: its forward_features.*unpooled.*gendd.adapters.wrap"):
        build("gendd", student, teacher, width=32, depth=1)
    with pytest.raises(TypeError, match="teacher ResNet is a timm model"):
        build("kd", wrap(torchvision_model("resnet18")), timm.create_model("resnet18", num_classes=10))
    with pytest.raises(TypeError, match="must expose forward_features.*gendd.adapters.wrap"):
        build("kd", student, torchvision_model("resnet18"))


class UnpooledFeatures(nn.Module):
    """Has forward_features and fc, but its features are the (B, C, 1, 1) map."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 8, 3), nn.Linear(8, 10)

    def forward_features(self, x):
        return self.conv(x).mean(dim=(2, 3), keepdim=True)

    def forward(self, x):
        return self.fc(self.forward_features(x).flatten(1))


def test_features_of_the_wrong_shape_are_refused_with_the_shape():
    distiller = build("gendd", UnpooledFeatures(), wrap(torchvision_model("resnet18")), width=32, depth=1,
                      diffusion_batch_mul=1).train()
    with pytest.raises(TypeError, match=r"returned shape \(4, 8, 1, 1\).*\(B, D\) = \(4, 8\)"):
        distiller(X, torch.zeros(4, dtype=torch.long))
    kd = build("kd", wrap(torchvision_model("resnet18")), UnpooledFeatures()).train()
    with pytest.raises(TypeError, match=r"teacher's forward_features returned shape \(4, 8, 1, 1\)"):
        kd(X, torch.zeros(4, dtype=torch.long))


def test_models_without_a_final_linear_or_with_one_that_is_not_last_are_refused():
    with pytest.raises(TypeError, match="no nn.Linear final layer"):
        wrap(torchvision_model("squeezenet1_0"))
    softmax_last = wrap(nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10), nn.Softmax(dim=1)))
    with pytest.raises(TypeError, match="not its last operation"):
        softmax_last.forward_features(X)


def foreign_loop(distiller, steps=40, lr=1e-3):
    """The user's own loop: a fixed batch, AdamW, the sum of the named losses."""
    torch.manual_seed(0)
    images, labels = torch.randn(8, 3, 32, 32), torch.arange(8) % 10
    optimizer = torch.optim.AdamW([p for p in distiller.parameters() if p.requires_grad], lr=lr)
    distiller.train()
    totals = []
    with torch_threads(1):
        for _ in range(steps):
            losses = distiller(images, labels)
            total = sum(losses.values())
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            totals.append(total.item())
    return totals


@pytest.mark.slow
def test_gendd_trains_a_timm_student_from_a_torchvision_teacher_in_a_foreign_loop():
    torch.manual_seed(0)
    teacher = wrap(torchvision_model("mobilenet_v3_small"))
    student = wrap(timm.create_model("resnet18", num_classes=10))
    distiller = build("gendd", student, teacher, width=64, depth=1, diffusion_batch_mul=8, token_dim=64)
    totals = foreign_loop(distiller)
    assert sum(totals[-5:]) / 5 < 0.8 * sum(totals[:5]) / 5, totals


@pytest.mark.slow
def test_kd_trains_a_torchvision_student_from_a_timm_teacher_in_a_foreign_loop():
    torch.manual_seed(0)
    teacher = wrap(timm.create_model("test_vit", num_classes=10, img_size=32))
    distiller = build("kd", wrap(torchvision_model("resnet18")), teacher)
    totals = foreign_loop(distiller, steps=20)
    assert totals[-1] < 0.5 * totals[0], totals
