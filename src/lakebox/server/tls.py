"""Exposure rules and TLS material: loopback may be plain HTTP, anything else needs TLS or ``--insecure``."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakebox.errors import BadRequestError
from lakebox.runtime.files import write_private
from lakebox.workspace.layout import WorkspaceLayout

SELF_SIGNED_DAYS = 365


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_exposure(host: str, *, tls: bool, insecure: bool) -> None:
    """Refuse to serve plain HTTP beyond this machine unless told so explicitly."""
    if not is_loopback(host) and not tls and not insecure:
        raise BadRequestError(
            f"listening on {host} exposes the server beyond this machine: give --tls-cert and --tls-key, "
            "or --tls-self-signed, or say --insecure to serve plain HTTP anyway"
        )


def self_signed(layout: WorkspaceLayout, host: str) -> TlsFiles:
    """A certificate for localhost, the loopback addresses, this machine's name and ``host`` (kept in .lakebox/tls)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = layout.private_dir / "tls"
    files = TlsFiles(cert=folder / "cert.pem", key=folder / "key.pem")
    names = {"localhost", socket.gethostname()}
    addresses = {"127.0.0.1", "::1"}
    (addresses if _is_address(host) else names).add(host)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"lakebox {layout.read_config().workspace_name}")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in sorted(names)]
                + [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted(addresses) if _is_address(a)]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(mode=0o700, exist_ok=True)
    write_private(
        files.key,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return files


def client_context(cert: Path) -> ssl.SSLContext:
    """An SSL context that trusts the server's own certificate (self-signed or from a private CA)."""
    return ssl.create_default_context(cafile=str(cert))


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
