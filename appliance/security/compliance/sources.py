"""The guidance the controls come from, item by item, so that `coverage` can say what is
checked and what nothing checks. Items marked procedural are duties of people (reviews,
training, contracts) that no scan of a box can prove; coverage lists them apart."""

from __future__ import annotations

from dataclasses import dataclass

TA14_002A = "TA14-002A"
TA14_212A = "TA14-212A"
PCI = "PCI-DSS-4.0"
COMPTOIR = "Comptoir"
SOURCES = (TA14_002A, TA14_212A, PCI, COMPTOIR)


@dataclass(frozen=True)
class Item:
    source: str
    item: str
    title: str
    procedural: bool = False


def _items(source: str, rows: list[tuple[str, str] | tuple[str, str, bool]]) -> list[Item]:
    return [Item(source, row[0], row[1], bool(row[2]) if len(row) > 2 else False) for row in rows]


# US-CERT Alert TA14-002A, "Malware Targeting Point of Sale Systems" (2014-01-02):
# the six POS system owner best practices, numbered in the alert's order.
TA14_002A_ITEMS = _items(
    TA14_002A,
    [
        ("1", "Use strong passwords (no defaults; unique account names, complex passwords)"),
        ("2", "Update POS software applications (latest updates and patches)"),
        ("3", "Install a firewall"),
        ("4", "Use antivirus, kept up to date"),
        ("5", "Restrict access to the Internet (POS use only)"),
        ("6", "Disallow remote access"),
    ],
)

# US-CERT Alert TA14-212A, "Backoff Point-of-Sale Malware" (2014-07-31): its
# recommendations grouped as in the alert (RD remote desktop, NS network security,
# POS cash register and POS security, P policy), numbered in the alert's order.
TA14_212A_ITEMS = _items(
    TA14_212A,
    [
        ("RD-1", "Lock accounts after a number of failed login attempts"),
        ("RD-2", "Limit the users and workstations that can log in"),
        ("RD-3", "Firewall remote desktop listening ports"),
        ("RD-4", "Change the default remote desktop port", True),
        ("RD-5", "Complex password parameters (length, complexity, expiry)"),
        ("RD-6", "Two-factor authentication for remote desktop access", True),
        ("RD-7", "Remote desktop gateway and tunnelled access", True),
        ("NS-1", "Segregate payment processing networks from other networks"),
        ("NS-2", "Access control lists limit traffic to and from payment processing networks"),
        ("NS-3", "Data leakage prevention: watch for card data leaving the environment"),
        ("NS-4", "Detect anomalous network behaviour (IDS), logs of dropped traffic"),
        ("POS-1", "Hardware point-to-point encryption from the PIN pad", True),
        ("POS-2", "Install payment application and operating system updates"),
        ("POS-3", "Install and update antivirus; run scans"),
        ("POS-4", "Restrict Internet access from POS systems"),
        ("POS-5", "Disable remote access to POS systems"),
        ("P-1", "Least privilege: no administrative rights for daily accounts"),
        ("P-2", "Review accounts; remove dormant and unknown ones"),
        ("P-3", "Log monitoring and retention"),
        ("P-4", "Verify file integrity (checksums) of POS software"),
        ("P-5", "Disable unused ports, services and devices"),
    ],
)

# PCI DSS v4.0 requirements in the areas the kiosk carries.
PCI_ITEMS = _items(
    PCI,
    [
        ("1.3.1", "Inbound traffic to the CDE restricted to what is necessary"),
        ("1.3.2", "Outbound traffic from the CDE restricted to what is necessary"),
        ("1.3.3", "NSCs between wireless networks and the CDE"),
        ("1.4.1", "NSCs between trusted and untrusted networks"),
        ("1.4.2", "Inbound traffic from untrusted networks restricted"),
        ("1.4.3", "Anti-spoofing measures"),
        ("1.4.4", "Components storing cardholder data not directly reachable from untrusted networks"),
        ("1.4.5", "Disclosure of internal addresses and routing restricted", True),
        ("2.2.1", "Configuration standards applied to every system component"),
        ("2.2.2", "Vendor default accounts removed or their passwords changed"),
        ("2.2.3", "Primary functions of different security levels kept apart"),
        ("2.2.4", "Only necessary services, protocols, daemons and functions enabled"),
        ("2.2.5", "Insecure services, protocols or daemons justified and secured"),
        ("2.2.6", "System security parameters configured to prevent misuse"),
        ("2.2.7", "Non-console administrative access encrypted"),
        ("3.3.1", "Sensitive authentication data not kept after authorization"),
        ("3.3.1.1", "Full track data not kept after authorization"),
        ("3.3.1.2", "Card verification code not kept after authorization"),
        ("3.3.1.3", "PIN and PIN block not kept after authorization"),
        ("3.3.2", "SAD stored before authorization is encrypted", True),
        ("3.3.3", "Issuers: SAD storage limited", True),
        ("3.4.1", "PAN masked when displayed (BIN and last four at most)"),
        ("3.4.2", "Remote access cannot copy or relocate PAN"),
        ("3.5.1", "PAN unreadable wherever it is stored"),
        ("3.5.1.1", "Hashes of PAN are keyed cryptographic hashes"),
        ("3.5.1.2", "Disk or partition encryption alone is not relied on for PAN"),
        ("3.5.1.3", "Disk encryption keys managed apart from OS authentication", True),
        ("3.6.1", "Key-management procedures protect keys"),
        ("3.6.1.1", "Service providers: documented cryptographic architecture", True),
        ("3.6.1.2", "Secret keys stored encrypted, in a secure device, or as split components"),
        ("3.6.1.3", "Access to cleartext key components restricted to the fewest custodians"),
        ("3.6.1.4", "Keys stored in the fewest possible locations"),
        ("3.7.1", "Strong keys are generated"),
        ("3.7.2", "Keys are distributed securely"),
        ("3.7.3", "Keys are stored securely"),
        ("3.7.4", "Keys are changed at the end of their cryptoperiod"),
        ("3.7.5", "Keys are retired or replaced when weakened", True),
        ("3.7.6", "Manual cleartext key operations use split knowledge", True),
        ("3.7.7", "Unauthorized substitution of keys is prevented"),
        ("3.7.8", "Key custodians acknowledge their responsibilities", True),
        ("3.7.9", "Service providers: key guidance for customers", True),
        ("5.2.1", "An anti-malware solution is deployed"),
        ("5.2.2", "The anti-malware solution detects, removes, blocks or contains malware"),
        ("5.2.3", "Components not at risk from malware are evaluated periodically", True),
        ("5.3.1", "The anti-malware solution is kept current through automatic updates"),
        ("5.3.2", "Periodic scans or continuous analysis"),
        ("5.3.3", "Removable electronic media are scanned or blocked"),
        ("5.3.4", "Anti-malware audit logs enabled and retained"),
        ("5.3.5", "Anti-malware cannot be disabled by users"),
        ("5.4.1", "Protection against phishing"),
        ("6.3.3", "Security patches installed within one month of release"),
        ("8.2.1", "Every user has a unique ID"),
        ("8.2.2", "Shared and generic accounts only when necessary and controlled"),
        ("8.2.3", "Service providers: unique authentication per customer", True),
        ("8.2.4", "Additions, deletions and changes of IDs are authorized", True),
        ("8.2.5", "Access of terminated users revoked immediately", True),
        ("8.2.6", "Inactive accounts removed or disabled within 90 days"),
        ("8.2.7", "Third-party remote access enabled only when needed, and monitored"),
        ("8.2.8", "Sessions idle for more than 15 minutes need re-authentication"),
        ("8.3.1", "All access authenticated with at least one factor"),
        ("8.3.2", "Authentication factors unreadable in transmission and storage"),
        ("8.3.3", "Identity verified before an authentication factor is changed", True),
        ("8.3.4", "Lockout after at most 10 failed attempts, for at least 30 minutes"),
        ("8.3.5", "First-use and reset passwords unique and changed at first use"),
        ("8.3.6", "Passwords of at least 12 characters with letters and digits"),
        ("8.3.7", "A new password differs from the last four"),
        ("8.3.8", "Authentication policies documented and communicated", True),
        ("8.3.9", "Single-factor passwords changed every 90 days (or analysed dynamically)"),
        ("8.3.10", "Service providers: customer password guidance", True),
        ("8.3.11", "Physical or logical authentication factors assigned to one user", True),
        ("10.2.1", "Audit logs enabled and active for all components"),
        ("10.2.1.1", "Logs capture individual access to cardholder data"),
        ("10.2.1.2", "Logs capture actions by administrative accounts"),
        ("10.2.1.3", "Logs capture access to audit logs"),
        ("10.2.1.4", "Logs capture invalid logical access attempts"),
        ("10.2.1.5", "Logs capture changes to identification and authentication credentials"),
        ("10.2.1.6", "Logs capture start, stop or pause of the audit logs"),
        ("10.2.1.7", "Logs capture creation and deletion of system-level objects"),
        ("10.2.2", "Each log entry records user, type, time, outcome, origin and object"),
        ("10.3.1", "Read access to audit logs limited"),
        ("10.3.2", "Audit logs protected from modification"),
        ("10.3.3", "Audit logs backed up to a central, hard-to-alter server"),
        ("10.3.4", "File integrity monitoring or change detection on audit logs"),
        ("10.4.1", "Security events and critical logs reviewed daily", True),
        ("10.4.1.1", "Automated mechanisms perform audit log reviews"),
        ("10.4.2", "Logs of other components reviewed periodically", True),
        ("10.4.2.1", "Review frequency defined by risk analysis", True),
        ("10.4.3", "Exceptions and anomalies found in reviews addressed", True),
        ("10.5.1", "Audit logs kept 12 months, the last 3 at hand"),
        ("10.6.1", "System clocks synchronized with time-synchronization technology"),
        ("10.6.2", "Systems configured to correct and consistent time"),
        ("10.6.3", "Time synchronization settings and data protected"),
        ("11.5.1", "Intrusion detection or prevention at the CDE perimeter"),
        ("11.5.1.1", "Service providers: covert malware channels detected", True),
        ("11.5.2", "Change detection on critical files, compared at least weekly"),
    ],
)

CATALOGUE: dict[str, list[Item]] = {TA14_002A: TA14_002A_ITEMS, TA14_212A: TA14_212A_ITEMS, PCI: PCI_ITEMS}


def known(source: str, item: str) -> bool:
    """Whether a reference names a real item: an exact item, or a PCI parent of some (3.6)."""
    items = CATALOGUE.get(source)
    if items is None:
        return True  # our own baseline (Comptoir) has no fixed catalogue
    return any(i.item == item or i.item.startswith(item + ".") for i in items)
