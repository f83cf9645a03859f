"""A pyusb backend with one USB receipt printer on it, so that `UsbPrinter` runs through
real pyusb code (find, descriptors, kernel-driver handling, claim, bulk transfers) with
no device and no libusb.

Bytes written to the OUT endpoint are recorded and, when a `VirtualPrinter` is attached,
fed to it; its answers (status bytes) are what the IN endpoint reads. `unplug()` makes
every later call fail the way libusb does for a vanished device (ENODEV); `stall()`
makes bulk writes time out, like a printer that stopped taking data.
"""

from __future__ import annotations

import errno
from collections import deque
from types import SimpleNamespace
from typing import Any

import usb.backend
import usb.core

from tests.fakes.escpos_printer import VirtualPrinter

_LIBUSB_ERROR_TIMEOUT = -7
_LIBUSB_ERROR_NO_DEVICE = -4


class FakeUsbBackend(usb.backend.IBackend):  # type: ignore[misc]
    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        *,
        printer: VirtualPrinter | None = None,
        interface: int = 0,
        out_ep: int = 0x01,
        in_ep: int = 0x82,
        kernel_driver_active: bool = True,
    ) -> None:
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.printer = printer
        self.interface = interface
        self.out_ep = out_ep
        self.in_ep = in_ep
        self.kernel_driver_active = kernel_driver_active
        self.writes: list[tuple[int, bytes]] = []
        self.detached = 0
        self.attached = 0
        self.claimed: set[int] = set()
        self.open_handles = 0
        self.configuration: int | None = None
        self.plugged_in = True
        self.stalled = False
        self._to_host: deque[int] = deque()
        self._device = object()

    # -- test controls -----------------------------------------------------------------

    @property
    def written(self) -> bytes:
        return b"".join(data for ep, data in self.writes if ep == self.out_ep)

    def unplug(self) -> None:
        self.plugged_in = False

    def plug_in(self) -> None:
        self.plugged_in = True
        self.kernel_driver_active = True  # the kernel binds usblp again on arrival
        self.configuration = None

    def stall(self, stalled: bool = True) -> None:
        self.stalled = stalled

    def _check(self) -> None:
        if not self.plugged_in:
            raise usb.core.USBError("No such device", _LIBUSB_ERROR_NO_DEVICE, errno.ENODEV)

    # -- descriptors -------------------------------------------------------------------

    def enumerate_devices(self) -> Any:
        if self.plugged_in:
            yield self._device

    def get_device_descriptor(self, dev: Any) -> Any:
        return SimpleNamespace(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0,
            bDeviceSubClass=0, bDeviceProtocol=0, bMaxPacketSize0=64,
            idVendor=self.vendor_id, idProduct=self.product_id, bcdDevice=0x0100,
            iManufacturer=0, iProduct=0, iSerialNumber=0, bNumConfigurations=1,
            address=5, bus=1, port_number=1, port_numbers=(1,), speed=3,
        )  # fmt: skip

    def get_configuration_descriptor(self, dev: Any, config: int) -> Any:
        return SimpleNamespace(
            bLength=9, bDescriptorType=2, wTotalLength=32, bNumInterfaces=1,
            bConfigurationValue=1, iConfiguration=0, bmAttributes=0xC0, bMaxPower=50,
            extra_descriptors=[],
        )  # fmt: skip

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> Any:
        # Class 7 (printer), subclass 1, protocol 2: bidirectional, as ESC/POS printers are.
        return SimpleNamespace(
            bLength=9, bDescriptorType=4, bInterfaceNumber=self.interface,
            bAlternateSetting=0, bNumEndpoints=2, bInterfaceClass=7,
            bInterfaceSubClass=1, bInterfaceProtocol=2, iInterface=0, extra_descriptors=[],
        )  # fmt: skip

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int, config: int) -> Any:
        address = (self.out_ep, self.in_ep)[ep]
        return SimpleNamespace(
            bLength=7, bDescriptorType=5, bEndpointAddress=address, bmAttributes=0x02,
            wMaxPacketSize=64, bInterval=0, bRefresh=0, bSynchAddress=0,
            extra_descriptors=[],
        )  # fmt: skip

    # -- the device ----------------------------------------------------------------------

    def open_device(self, dev: Any) -> Any:
        self._check()
        self.open_handles += 1
        return SimpleNamespace(device=dev)

    def close_device(self, dev_handle: Any) -> None:
        self.open_handles -= 1

    def set_configuration(self, dev_handle: Any, config_value: int) -> None:
        self._check()
        self.configuration = config_value

    def get_configuration(self, dev_handle: Any) -> int:
        self._check()
        if self.configuration is None:
            # libusb reports an unconfigured device as configuration 0, which pyusb
            # turns into this error.
            raise usb.core.USBError("Configuration not set", None, errno.EIO)
        return self.configuration

    def set_interface_altsetting(self, dev_handle: Any, intf: int, altsetting: int) -> None:
        self._check()

    def claim_interface(self, dev_handle: Any, intf: int) -> None:
        self._check()
        if self.kernel_driver_active:
            raise usb.core.USBError("Resource busy", -6, errno.EBUSY)
        self.claimed.add(intf)

    def release_interface(self, dev_handle: Any, intf: int) -> None:
        self._check()
        self.claimed.discard(intf)

    def is_kernel_driver_active(self, dev_handle: Any, intf: int) -> bool:
        self._check()
        return self.kernel_driver_active

    def detach_kernel_driver(self, dev_handle: Any, intf: int) -> None:
        self._check()
        self.kernel_driver_active = False
        self.detached += 1

    def attach_kernel_driver(self, dev_handle: Any, intf: int) -> None:
        self._check()
        self.kernel_driver_active = True
        self.attached += 1

    def bulk_write(self, dev_handle: Any, ep: int, intf: int, data: Any, timeout: int) -> int:
        self._check()
        if intf not in self.claimed:
            raise usb.core.USBError("Interface not claimed", -6, errno.EBUSY)
        if self.stalled:
            raise usb.core.USBTimeoutError("Operation timed out", _LIBUSB_ERROR_TIMEOUT, errno.ETIMEDOUT)
        chunk = bytes(data)
        self.writes.append((ep, chunk))
        if self.printer is not None:
            self._to_host.extend(self.printer.feed(chunk))
        return len(chunk)

    def bulk_read(self, dev_handle: Any, ep: int, intf: int, buff: Any, timeout: int) -> int:
        self._check()
        if not self._to_host:
            raise usb.core.USBTimeoutError("Operation timed out", _LIBUSB_ERROR_TIMEOUT, errno.ETIMEDOUT)
        count = 0
        while self._to_host and count < len(buff):
            buff[count] = self._to_host.popleft()
            count += 1
        return count
