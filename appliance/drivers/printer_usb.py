"""USB receipt printers driven directly through pyusb (libusb), by vendor and product id.

The kernel's usblp driver claims a printer-class interface as soon as it is plugged in;
we detach it while we hold the printer and give it back on close, so /dev/usb/lp0 comes
back for anyone else. After any USB error the handle is dropped: the next job looks the
device up afresh, which is what makes an unplug-replug recover by itself.
"""

from __future__ import annotations

import errno
from typing import Any

import usb.core
import usb.util

from appliance.drivers.printer import (
    BAD_CONFIG,
    DISCONNECTED,
    FAULT,
    OFFLINE,
    PrinterError,
    PrinterStatus,
    is_status_byte,
    read_status,
    status_query,
)

DEFAULT_INTERFACE = 0
DEFAULT_IN_EP = 0x82
DEFAULT_OUT_EP = 0x01


class UsbPrinter:
    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        *,
        interface: int = DEFAULT_INTERFACE,
        in_ep: int | None = DEFAULT_IN_EP,
        out_ep: int = DEFAULT_OUT_EP,
        timeout_ms: int = 5000,
        status_timeout_ms: int = 500,
        backend: Any = None,  # a usb.backend.IBackend; None lets pyusb pick libusb
    ) -> None:
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.interface = interface
        self.in_ep = in_ep
        self.out_ep = out_ep
        self.timeout_ms = timeout_ms
        self.status_timeout_ms = status_timeout_ms
        self.backend = backend
        self._device: Any = None
        self._detached = False

    @property
    def where(self) -> str:
        return f"The USB receipt printer {self.vendor_id:04x}:{self.product_id:04x}"

    def __repr__(self) -> str:
        return f"UsbPrinter({self.vendor_id:#06x}, {self.product_id:#06x})"

    def _error(self, exc: Exception) -> PrinterError:
        if isinstance(exc, usb.core.USBTimeoutError):
            return PrinterError(
                f"{self.where} stopped taking data (paper, cover, or switched off?); the receipt may be incomplete.",
                OFFLINE,
                detail="not taking data",
            )
        code = getattr(exc, "errno", None)
        if code in (errno.ENODEV, errno.ENOENT, errno.EPIPE, errno.EIO):
            return PrinterError(
                f"{self.where} was disconnected. Check the cable and that it is on.",
                DISCONNECTED,
                detail="disconnected",
            )
        if code in (errno.EACCES, errno.EPERM):
            return PrinterError(
                f"{self.where} cannot be opened: permission denied. Install the udev rule "
                "that gives the kiosk user this device.",
                BAD_CONFIG,
                detail="permission denied",
            )
        if code == errno.EBUSY:
            return PrinterError(f"{self.where} is in use by another program.", OFFLINE, detail="in use")
        return PrinterError(f"{self.where} failed: {exc}.", FAULT, detail=str(exc))

    def _open(self) -> Any:
        if self._device is not None:
            return self._device
        device = usb.core.find(idVendor=self.vendor_id, idProduct=self.product_id, backend=self.backend)
        if device is None:
            raise PrinterError(
                f"{self.where} is not connected. Check the cable and that it is on.",
                DISCONNECTED,
                detail="not connected",
            )
        try:
            try:
                if device.is_kernel_driver_active(self.interface):
                    device.detach_kernel_driver(self.interface)
                    self._detached = True
            except NotImplementedError:
                pass  # platforms without kernel drivers to detach (macOS, some backends)
            try:
                device.get_active_configuration()
            except usb.core.USBError:
                device.set_configuration()
            usb.util.claim_interface(device, self.interface)
        except usb.core.USBError as exc:
            self._device = device
            self._release()
            raise self._error(exc) from None
        self._device = device
        return device

    def _ask(self, device: Any, n: int) -> int | None:
        if self.in_ep is None:
            return None
        device.write(self.out_ep, status_query(n), self.timeout_ms)
        try:
            answer = bytes(device.read(self.in_ep, 64, self.status_timeout_ms))
        except usb.core.USBTimeoutError:
            return None
        status = [b for b in answer if is_status_byte(b)]
        return status[-1] if status else None

    def send(self, data: bytes) -> None:
        device = self._open()
        try:
            read_status(lambda n: self._ask(device, n)).raise_problem(self.where)
            written = device.write(self.out_ep, data, self.timeout_ms)
        except usb.core.USBError as exc:
            self._release()
            raise self._error(exc) from None
        if written != len(data):
            self._release()
            raise PrinterError(
                f"{self.where} took {written} of {len(data)} bytes; the receipt may be incomplete.",
                DISCONNECTED,
                detail="short write",
            )

    def status(self) -> PrinterStatus:
        try:
            device = self._open()
            return read_status(lambda n: self._ask(device, n))
        except PrinterError as exc:
            return PrinterStatus(online=False, detail=exc.detail)
        except usb.core.USBError as exc:
            self._release()
            return PrinterStatus(online=False, detail=self._error(exc).detail)

    def _release(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        # Each step may fail on an unplugged device; the later ones must still run.
        try:
            usb.util.release_interface(device, self.interface)
        except usb.core.USBError:
            pass
        if self._detached:
            try:
                device.attach_kernel_driver(self.interface)
            except (usb.core.USBError, NotImplementedError):
                pass
            self._detached = False
        usb.util.dispose_resources(device)

    def close(self) -> None:
        self._release()
