//! set-environment and show-environment: the session's and the global environment that
//! panes started afterwards get (`crate::environment` has what each holds).

use super::commands::{CommandError, Outcome};
use super::Mux;
use crate::control;
use crate::environment::{Environment, EnvironmentError};

impl Mux {
    pub(super) fn set_environment(&mut self, set: control::SetEnvironment) -> Outcome {
        let change = set.change.ok_or(EnvironmentError::NoValue);
        let environment = self.environment_mut(set.global, set.target.as_ref())?;
        environment.change(&set.name, change?)?;
        Ok(String::new())
    }

    pub(super) fn show_environment(&self, show: &control::ShowEnvironment) -> Outcome {
        let environment = match show.global {
            true => &self.global_environment,
            false => {
                let session = self.resolve_or_recent(show.target.as_ref())?.session;
                let session = self.sessions.get(&session);
                &session.ok_or(CommandError::NoSessions)?.environment
            }
        };
        Ok(environment.show(show.name.as_deref(), show.shell)?)
    }

    /// The global environment, or the target session's, to change.
    fn environment_mut(
        &mut self,
        global: bool,
        target: Option<&control::Target>,
    ) -> Result<&mut Environment, CommandError> {
        if global {
            return Ok(&mut self.global_environment);
        }
        let session = self.resolve_or_recent(target)?.session;
        match self.sessions.get_mut(&session) {
            Some(session) => Ok(&mut session.environment),
            None => Err(CommandError::NoSessions),
        }
    }
}
