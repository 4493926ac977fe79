//! Maps a routed operation to its handler.

use crate::http::{Reply, Req};
use crate::op::Op;
use crate::state::Shared;

use super::{account, authorize, clients, current, federation, legacy, mfa, token};

pub(crate) async fn dispatch(sh: &Shared, op: &Op, req: &Req) -> Reply {
    let result = match op {
        Op::Authorize => authorize::authorize(sh, req),
        Op::Logout => federation::logout(sh, req),
        Op::OidcLogout => federation::oidc_logout(sh, req),
        Op::SamlLogout(id) => federation::saml_logout(sh, req, id),
        Op::PasswordlessStart => account::passwordless_start(sh, req),
        Op::PasswordlessVerify => account::passwordless_verify(sh, req),
        Op::OauthToken => token::oauth_token(sh, req),
        Op::Signup => account::signup(sh, req),
        Op::ChangePassword => account::change_password(sh, req),
        Op::Userinfo => account::userinfo(sh, req),
        Op::MfaChallenge => mfa::challenge(sh, req),
        Op::MfaAssociate => mfa::associate(sh, req),
        Op::MfaAuthenticators => mfa::list(sh, req),
        Op::MfaAuthenticatorsDelete(id) => mfa::delete(sh, req, id),
        Op::SamlpLogin(id) => federation::samlp_login(sh, req, id),
        Op::SamlpMetadata(id) => federation::samlp_metadata(sh, id),
        Op::LoginCallback => federation::login_callback(sh, req),
        Op::WsfedLogin(id) => federation::wsfed_login(sh, req, id),
        Op::WsfedMetadata => federation::wsfed_metadata(sh, req),
        Op::OidcRegister => clients::oidc_register(sh, req),
        Op::DeviceCode => clients::device_code(sh, req),
        Op::Revoke => clients::revoke(sh, req),
        Op::AccessToken => legacy::access_token(sh, req),
        Op::Ro => legacy::ro(sh, req),
        Op::Tokeninfo => legacy::tokeninfo(sh, req),
        Op::Delegation => legacy::delegation(sh, req),
        Op::Unlink => legacy::unlink(sh, req),
        Op::Impersonate(id) => legacy::impersonate(sh, req, id),
        Op::LoginUnlink => legacy::unlink(sh, req),
        Op::Par => current::par(sh, req),
        Op::BcAuthorize => current::bc_authorize(sh, req),
        Op::GlobalTokenRevocation(c) => current::global_token_revocation(sh, req, c),
        Op::MfaPush => current::mfa_push(sh, req),
        Op::Jwks => Ok(clients::jwks(sh)),
        Op::Discovery => Ok(clients::discovery(sh)),
        Op::Outbox => Ok(clients::outbox(sh)),
        Op::Requests => Ok(super::super::http::Reply::json(
            axum::http::StatusCode::OK,
            &sh.log.snapshot(),
        )),
        Op::DeviceApprove => clients::device_approve(sh, req),
        Op::DeviceExpire => clients::device_expire(sh, req),
    };
    result.unwrap_or_else(|e| e)
}
