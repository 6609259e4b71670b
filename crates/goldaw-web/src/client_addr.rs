//! Who is on the other end: the one rule for a request's client address, used by the API's and
//! the pages' principal (and so the audit log's `source`) and by the sign-in limit per address.
//!
//! Behind a reverse proxy every connection comes from the proxy. The operator names the proxies
//! goldaw may believe (`GOLDAW_TRUSTED_PROXIES`, none by default); from those peers only, the
//! client is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Entries to
//! its left were written by the client (or whoever it claims forwarded it) and are never read. A
//! header from any other peer is ignored: a client cannot choose its own address.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

/// The proxies whose `X-Forwarded-For` goldaw believes: addresses and CIDR ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// Why a list of trusted proxies was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedProxiesError {
    /// The entry is neither an address nor a range.
    NotAnAddress(String),
    /// A `/0` range: every peer would be trusted, so any client could choose its own address.
    Everything(String),
}

impl fmt::Display for TrustedProxiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustedProxiesError::NotAnAddress(entry) => write!(
                f,
                "\"{entry}\" is neither an IP address nor a CIDR range: give the proxy's address \
                 (10.0.0.5, ::1) or its network (10.0.0.0/24), comma-separated"
            ),
            TrustedProxiesError::Everything(entry) => write!(
                f,
                "\"{entry}\" would trust every address, so any client could set its own address \
                 in X-Forwarded-For: give only the reverse proxy's address or network"
            ),
        }
    }
}

impl std::error::Error for TrustedProxiesError {}

impl FromStr for TrustedProxies {
    type Err = TrustedProxiesError;

    /// Comma-separated addresses or CIDR ranges; empty entries (a trailing comma) are skipped.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let mut nets = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip.to_canonical()),
                    Err(_) => return Err(TrustedProxiesError::NotAnAddress(entry.to_owned())),
                },
            };
            if net.prefix_len() == 0 {
                return Err(TrustedProxiesError::Everything(entry.to_owned()));
            }
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, net) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{net}")?;
        }
        Ok(())
    }
}

impl TrustedProxies {
    /// Trust no proxy: the client is the peer (the default).
    pub fn none() -> Self {
        TrustedProxies(Vec::new())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The client's address for a connection from `peer` with these request headers.
///
/// - `peer` is not a trusted proxy: `peer`, whatever the headers say.
/// - `peer` is trusted: the right-most `X-Forwarded-For` entry (several header lines read as one
///   list, in order) that is not a trusted proxy; if every entry is trusted, the left-most one
///   (the request started on a trusted host); without the header, `peer`.
/// - A malformed header (not text, an entry that is not an address) gives `peer`: a proxy that
///   writes it so is misconfigured, and guessing would let the client choose.
///
/// IPv4 addresses written as IPv6 (`::ffff:10.0.0.1`, from a dual-stack listener) count as IPv4.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let mut leftmost_trusted = None;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(text) = value.to_str() else {
            return peer;
        };
        // Empty list elements are allowed by HTTP's list syntax (RFC 9110, 5.6.1).
        for entry in text.rsplit(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some(ip) = forwarded_entry(entry) else {
                return peer;
            };
            if !trusted.contains(ip) {
                return ip;
            }
            leftmost_trusted = Some(ip);
        }
    }
    leftmost_trusted.unwrap_or(peer)
}

/// An `X-Forwarded-For` entry: an address, or an address with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`) as some proxies write it.
fn forwarded_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// The TCP peer of a request's connection, as goldaw's own server records it. Deliberately not
/// axum's `ConnectInfo`: code that reads the peer directly instead of [`ClientAddr`] would get the
/// proxy's address; under goldaw's server it finds nothing and fails loudly instead.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Peer(pub SocketAddr);

/// The client address of the request (see [`client_ip`]): the one source for the audit log, the
/// principal and the sign-in limit per address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    pub fn ip(&self) -> IpAddr {
        self.0
    }

    /// The request's client address. Without a known peer (the router called directly, not
    /// through a server), the unspecified address `0.0.0.0`.
    pub fn of(parts: &Parts, state: &AppState) -> ClientAddr {
        let peer = parts
            .extensions
            .get::<Peer>()
            .map(|Peer(a)| a.ip())
            // `app` served by axum::serve with connect info, as an embedding program might.
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(a)| a.ip())
            })
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        ClientAddr(client_ip(peer, &parts.headers, &state.trusted_proxies))
    }
}

impl fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientAddr::of(parts, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn proxies(list: &str) -> TrustedProxies {
        list.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let t = proxies("10.0.0.1");
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff(&["1.1.1.1"]), &t),
            ip("203.0.113.9")
        );
        // No proxies trusted (the default): the header is never read.
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff(&["1.1.1.1"]), &TrustedProxies::none()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn from_a_trusted_peer_the_right_most_untrusted_entry_is_the_client() {
        let t = proxies("10.0.0.0/8, 192.168.1.1");
        // The client wrote "6.6.6.6" itself; the proxy appended what it saw.
        let h = xff(&["6.6.6.6, 198.51.100.7, 10.1.2.3"]);
        assert_eq!(client_ip(ip("192.168.1.1"), &h, &t), ip("198.51.100.7"));
        // Several header lines are one list, in order.
        let h = xff(&["6.6.6.6", "198.51.100.7", "10.1.2.3"]);
        assert_eq!(client_ip(ip("10.9.9.9"), &h, &t), ip("198.51.100.7"));
        // Ports and IPv6 as some proxies write them.
        let h = xff(&["[2001:db8::7]:4711"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("2001:db8::7"));
        let h = xff(&["198.51.100.7:4711, "]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("198.51.100.7"));
    }

    #[test]
    fn without_the_header_or_with_only_proxies_in_it() {
        let t = proxies("10.0.0.0/8");
        assert_eq!(client_ip(ip("10.0.0.1"), &xff(&[]), &t), ip("10.0.0.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff(&["10.0.0.3, 10.0.0.2"]), &t),
            ip("10.0.0.3")
        );
    }

    #[test]
    fn a_malformed_header_gives_the_peer() {
        let t = proxies("10.0.0.1");
        for bad in [
            "unknown",
            "1.2.3.4, bogus",
            "1.2.3.4 5.6.7.8",
            "fe80::1%eth0",
        ] {
            assert_eq!(
                client_ip(ip("10.0.0.1"), &xff(&[bad]), &t),
                ip("10.0.0.1"),
                "{bad}"
            );
        }
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"1.2.3.4\xff").unwrap(),
        );
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("10.0.0.1"));
        // Left of the client is never read, so garbage there does not matter.
        let h = xff(&["garbage, 198.51.100.7"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("198.51.100.7"));
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let t = proxies("127.0.0.1");
        let h = xff(&["::ffff:198.51.100.7"]);
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &h, &t),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.9"), &xff(&[]), &TrustedProxies::none()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_list_parses_addresses_and_ranges_and_refuses_the_rest() {
        let t = proxies(" 127.0.0.1, ::1 ,10.0.0.0/8,");
        assert_eq!(t.to_string(), "127.0.0.1/32,::1/128,10.0.0.0/8");
        assert!(t.contains(ip("10.200.0.1")) && !t.contains(ip("11.0.0.1")));
        assert!(proxies("").is_empty());
        let e = "10.0.0.1, proxy.local"
            .parse::<TrustedProxies>()
            .unwrap_err();
        assert_eq!(e, TrustedProxiesError::NotAnAddress("proxy.local".into()));
        assert!(e.to_string().contains("\"proxy.local\""), "{e}");
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        for everything in ["0.0.0.0/0", "::/0"] {
            assert!(matches!(
                everything.parse::<TrustedProxies>(),
                Err(TrustedProxiesError::Everything(_))
            ));
        }
    }
}
