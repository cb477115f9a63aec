//! `detach-client`: the client named as list-clients names it is detached as `attach -d`
//! detaches, told so in its last state; the others stay.

use super::*;
use crate::control::DetachClient;

impl Fixture {
    fn detach_client(&mut self, client: Option<&str>, session: Option<&str>) -> Reply {
        let request = Request::DetachClient(DetachClient {
            client: client.map(str::to_owned),
            session: session.map(parsed),
            all_others: false,
        });
        match (self.mux).handle_request(self.now, SystemTime::UNIX_EPOCH, request, &mut self.host) {
            Answer::Reply(reply) => reply,
            Answer::Stream(_) => panic!("detach-client streams no output"),
        }
    }
}

#[test]
fn detach_client_detaches_the_named_client_or_a_session_s_and_no_other() {
    let mut fixture = Fixture::new();
    let stays = fixture.attach("work");
    let goes = fixture.attach("work");
    let other = fixture.attach("other");
    fixture.run(Duration::from_secs(1), None);
    assert!(fixture.ls().contains("(2 attached)"), "{}", fixture.ls());

    let name = client_addr(goes).to_string();
    assert_eq!(
        fixture.detach_client(Some(&name), None),
        Reply::Ok(String::new())
    );
    fixture.run(Duration::from_millis(500), None);
    assert!(fixture.clients[&goes].peer_closed());
    assert!(fixture.clients[&goes].remote_state().detached);
    assert!(!fixture.clients[&stays].peer_closed());
    assert!(fixture.ls().contains("work: 1 windows"), "{}", fixture.ls());
    assert!(fixture.ls().contains("(1 attached)"), "{}", fixture.ls());

    let error = fixture.detach_client(Some(&name), None);
    assert_eq!(error, Reply::Error(format!("can't find client: {name}")));

    assert_eq!(
        fixture.detach_client(None, Some("other")),
        Reply::Ok(String::new())
    );
    fixture.run(Duration::from_millis(500), None);
    assert!(fixture.clients[&other].peer_closed());
    assert!(!fixture.clients[&stays].peer_closed());
}
