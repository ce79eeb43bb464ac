"""A pipeline using every transform and container, shared by the augment tests."""
from __future__ import annotations

from pixelgrad import augment as A


def full_pipeline():
    return A.Compose([
        A.RandomGradient(p=0.7),
        A.RandomGradient(p=0.5, strength=(0.2, 1.0), colored=True, mode="add"),
        A.RandomCornerGradient(p=0.5),
        A.OneOf([A.RandomRadialGradient(anisotropic=True), A.RandomGaussianSpot()], weights=[2, 1]),
        A.RandomApply([A.RandomGaussianBlur(sigma=(0.3, 1.5), anisotropic=True, angle=(0, 3.0)),
                       A.RandomBoxBlur(size=(1, 5))], p=0.5),
        A.RandomMotionBlur(p=0.4, length=(1, 5)),
        A.RandomShear(p=0.3, sx=(-0.2, 0.2), sy=(-0.1, 0.1)),
    ])
