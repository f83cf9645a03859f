"""The image root these tests boot: the image suite's own fixture (built by image/build.py,
cached in build/image), imported so that pytest finds it here too."""

from tests.e2e.image.conftest import image  # noqa: F401
