"""The demo's UDP DNS server: it answers the domain verification TXT record for localhost."""

from __future__ import annotations

import socket

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from onyx_wizard.demo.state import DemoState

_LOCALHOST = dns.name.from_text("localhost.")


class DnsServer:
    """A UDP socket bound on `host` and the loop that answers it until the demo stops."""

    def __init__(self, state: DemoState, host: str) -> None:
        self.state = state
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.socket.bind((host, 0))
        except BaseException:
            self.socket.close()
            raise
        self.socket.settimeout(0.1)  # how often the loop looks at the stop flag

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    def serve(self) -> None:
        """Answer queries until the demo stops or the socket closes."""
        sock = self.socket
        while not self.state.stopping.is_set():
            try:
                data, address = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = self.answer(data)
            except Exception:
                continue  # a malformed query gets no answer, as from a real server
            try:
                sock.sendto(reply, address)
            except OSError:
                return

    def answer(self, data: bytes) -> bytes:
        """The wire-format response to one query."""
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            if question.name != _LOCALHOST:
                response.set_rcode(dns.rcode.NXDOMAIN)
                continue
            wants_txt = question.rdtype in (dns.rdatatype.TXT, dns.rdatatype.ANY)
            if (
                wants_txt
                and question.rdclass == dns.rdataclass.IN
                and not self.state.has_fault("domain-token-missing")
            ):
                record = f'"onyx-domain-verification={self.state.verification_token}"'
                rrset = dns.rrset.from_text(question.name, 60, "IN", "TXT", record)
                response.answer.append(rrset)
        wire: bytes = response.to_wire()
        return wire

    def close(self) -> None:
        self.socket.close()
