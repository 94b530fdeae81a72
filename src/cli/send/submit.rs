//! Submitting one planned message: the password or OAuth2 token the caller looked up, and for
//! OAuth2 the one fresh-token retry of a refused login (see [`crate::engine::login`]).

use super::{SendError, SendPlan};
use crate::config::{AuthMethod, Server};
use crate::credentials::LoginSecret;
use crate::proto::smtp::{Accepted, SmtpError};

/// Submits a plan through `account`'s outgoing server with the given password or token; a
/// refused OAuth2 token gets one fresh token and one retry (AUTH precedes MAIL FROM: nothing
/// was sent).
pub async fn submit(
    plan: &SendPlan,
    account: &str,
    server: &Server,
    secret: LoginSecret,
) -> Result<Accepted, SendError> {
    use crate::engine::{EngineError, login};
    let mut given = Some(secret);
    login::with_token_retry(account, server, |fresh| {
        let given = given.take();
        async move {
            let secret = match given {
                Some(secret) => secret,
                None => login::login_secret(account, server, fresh).await?,
            };
            login::submission(server, secret)
                .send(&plan.envelope, &plan.message)
                .await
                .map_err(EngineError::from)
        }
    })
    .await
    .map_err(|e| match e {
        // A refused password says which account and server, and what to do, as sync does.
        EngineError::Smtp(SmtpError::AuthRefused { reply, .. })
            if server.auth == AuthMethod::Password =>
        {
            SendError::Login {
                account: account.to_owned(),
                server: format!("{}:{}", server.host, server.port),
                source: Box::new(login::password_refused(reply, account, server)),
            }
        }
        EngineError::Smtp(e) => SendError::Smtp(e),
        e => SendError::Login {
            account: account.to_owned(),
            server: format!("{}:{}", server.host, server.port),
            source: Box::new(e),
        },
    })
}
