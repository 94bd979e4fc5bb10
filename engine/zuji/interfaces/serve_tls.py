"""TLS for `zuji serve`: a certificate and key given (`--tls-cert`, `--tls-key`), checked before
any worker starts, or a self-signed one made for this machine (`--tls-self-signed`).

A self-signed certificate names 127.0.0.1, ::1 and localhost, is valid for 30 days and is
written with its key into a new private folder (mode 0700, the key 0600) whose path is printed:
a tester gives the certificate to clients as the CA to trust (`curl --cacert`, httpx's
`verify`, Node's `NODE_EXTRA_CA_CERTS`). It is for local testing only: no other machine can
trust it without being told to.
"""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from zuji.core.errors import Diagnostic, UsageError
from zuji.core.files import write_atomic

SELF_SIGNED_DAYS = 30


def self_signed(folder: Path | None = None) -> tuple[Path, Path]:
    """A new key and self-signed certificate for this machine: (certificate, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = folder or Path(tempfile.mkdtemp(prefix="zuji-tls-"))  # mkdtemp: mode 0700
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Zuji on localhost")])
    start = datetime.now(UTC) - timedelta(minutes=5)  # a client whose clock lags still accepts
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path = write_atomic(
        folder / "key.pem",
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        mode=0o600,
    )
    cert_path = write_atomic(
        folder / "cert.pem", certificate.public_bytes(serialization.Encoding.PEM), mode=0o644
    )
    return cert_path, key_path


def checked_pair(cert: Path, key: Path) -> tuple[Path, Path]:
    """The certificate and key, absolute, once TLS has loaded them together (E958 if not)."""
    cert, key = cert.resolve(), key.resolve()
    for path, option in ((cert, "--tls-cert"), (key, "--tls-key")):
        if not path.is_file():
            raise UsageError(Diagnostic("E958", f"{option} {path.name}: no such file"))
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(
            Diagnostic(
                "E958",
                f"--tls-cert {cert.name} and --tls-key {key.name} cannot be used together: "
                f"{exc.strerror or exc}",
                hint="give a PEM certificate and the PEM private key it was made for",
            )
        ) from None
    return cert, key
