//! `-L` and `-R` `[bind_address:]port:host:hostport`, as ssh reads them. `-L` listens on
//! `port` here and connects to `host:hostport` from the server for each connection; `-R`
//! listens on `port` at the server and connects to `host:hostport` from here. Either
//! listens on loopback unless a bind address is given.

use std::net::{IpAddr, Ipv4Addr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardSpec {
    pub bind: IpAddr,
    pub port: u16,
    pub host: String,
    pub host_port: u16,
}

impl std::str::FromStr for ForwardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let fields = split_fields(text);
        let (bind, rest) = match fields.len() {
            3 => (IpAddr::V4(Ipv4Addr::LOCALHOST), &fields[..]),
            4 => (bind_address(&fields[0])?, &fields[1..]),
            _ => {
                return Err(format!(
                    "bad forward {text:?}: give [bind_address:]port:host:hostport, e.g. 8080:localhost:80"
                ))
            }
        };
        let port = |field: &str| port(field, text);
        let host = rest[1].trim_matches(|c| c == '[' || c == ']').to_owned();
        if host.is_empty() {
            return Err(format!("no host in forward {text:?}"));
        }
        Ok(ForwardSpec {
            bind,
            port: port(&rest[0])?,
            host,
            host_port: port(&rest[2])?,
        })
    }
}

/// `[bind_address:]port`, where a forward listens, as ssh's `-KL` and `-KR` take it (the
/// command prompt's `forward -KL`).
pub fn parse_listen_place(text: &str) -> Result<(IpAddr, u16), String> {
    match split_fields(text).as_slice() {
        [port_field] => Ok((IpAddr::V4(Ipv4Addr::LOCALHOST), port(port_field, text)?)),
        [bind, port_field] => Ok((bind_address(bind)?, port(port_field, text)?)),
        _ => Err(format!("bad place {text:?}: give [bind_address:]port")),
    }
}

fn port(field: &str, text: &str) -> Result<u16, String> {
    field
        .parse::<u16>()
        .ok()
        .filter(|&port| port != 0)
        .ok_or_else(|| format!("bad port {field:?} in forward {text:?}: give 1-65535"))
}

/// Splits on `:` outside brackets, so `[::1]:80` stays one field.
fn split_fields(text: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => {
                fields.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(field) = fields.last_mut() {
            field.push(c);
        }
    }
    fields
}

/// ssh's bind addresses: `localhost` (loopback), `*` or empty (every address), or an
/// address.
fn bind_address(field: &str) -> Result<IpAddr, String> {
    match field.trim_matches(|c| c == '[' || c == ']') {
        "localhost" => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "" | "*" => Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        address => address
            .parse()
            .map_err(|_| format!("bad bind address {field:?}: give an IP address, localhost or *")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_read_as_ssh_reads_them() {
        let plain: ForwardSpec = "8080:localhost:80".parse().unwrap();
        assert_eq!(
            plain,
            ForwardSpec {
                bind: "127.0.0.1".parse().unwrap(),
                port: 8080,
                host: "localhost".into(),
                host_port: 80
            }
        );
        let bound: ForwardSpec = "[::1]:9000:[fe80::1]:22".parse().unwrap();
        assert_eq!(bound.bind, "::1".parse::<IpAddr>().unwrap());
        assert_eq!((bound.host.as_str(), bound.host_port), ("fe80::1", 22));
        let any: ForwardSpec = "*:9000:db:5432".parse().unwrap();
        assert!(any.bind.is_unspecified());
        for bad in ["8080", "0:h:80", "8080:h:99999", "a:8080:h:80", "8080::80"] {
            assert!(bad.parse::<ForwardSpec>().is_err(), "{bad}");
        }
        let loopback = "127.0.0.1".parse::<IpAddr>().unwrap();
        assert_eq!(parse_listen_place("8080"), Ok((loopback, 8080)));
        assert_eq!(
            parse_listen_place("[::1]:22").unwrap().0,
            "::1".parse::<IpAddr>().unwrap()
        );
        assert!(parse_listen_place("0").is_err() && parse_listen_place("a:b:c").is_err());
    }
}
