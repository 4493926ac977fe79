//! The seeded tenant fixture (`Tenant`), parsed from `tenant.toml` at start-up: clients,
//! connections, users, APIs. Test-suite authors read these fields to build requests.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The tenant the reference server starts with, every time.
#[derive(Clone, Debug, Deserialize)]
pub struct Tenant {
    pub mfa_audience: String,
    pub management_audience: String,
    pub default_user: String,
    pub organizations: Vec<String>,
    pub blocked_ips: Vec<String>,
    pub expired_device_code: String,
    pub apple_authz_code: String,
    pub google_access_token: String,
    /// Consecutive wrong passwords for one user from one IP before brute-force protection
    /// blocks them (Auth0: 10).
    #[serde(default = "default_brute_force_threshold")]
    pub brute_force_threshold: u32,
    pub code_lifetime_seconds: u64,
    pub device_interval_seconds: u64,
    pub apis: Vec<Api>,
    pub clients: Vec<Client>,
    pub connections: Vec<Connection>,
    pub users: Vec<User>,
}

/// A resource server (API) tokens can be issued for.
#[derive(Clone, Debug, Deserialize)]
pub struct Api {
    pub identifier: String,
    pub scopes: Vec<String>,
}

/// An application registered in the tenant.
#[derive(Clone, Debug, Deserialize)]
pub struct Client {
    pub client_id: String,
    /// `None` for public clients (SPA, native, device): token endpoint auth method `none`.
    #[serde(default)]
    pub client_secret: Option<String>,
    pub name: String,
    pub app_type: String,
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub callbacks: Vec<String>,
    #[serde(default)]
    pub logout_urls: Vec<String>,
    /// audience -> scopes obtainable with `client_credentials`.
    #[serde(default)]
    pub client_grants: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub samlp: bool,
    #[serde(default)]
    pub wsfed: bool,
    #[serde(default)]
    pub saml_issuer: Option<String>,
    /// OIDC-conformant (the default for applications Auth0 creates today): refused by the
    /// legacy endpoints.
    #[serde(default = "yes")]
    pub oidc_conformant: bool,
    /// Refresh token rotation (Auth0's per-application `refresh_token.rotation_type =
    /// "rotating"`, reuse interval 0): each refresh answers a new refresh token and spends the
    /// old one; a spent one presented again revokes its whole family ("automatic reuse
    /// detection", auth0.com/docs/secure/tokens/refresh-tokens/refresh-token-rotation).
    #[serde(default)]
    pub refresh_token_rotation: bool,
}

fn yes() -> bool {
    true
}

fn default_brute_force_threshold() -> u32 {
    10
}

/// An identity source.
#[derive(Clone, Debug, Deserialize)]
pub struct Connection {
    pub name: String,
    /// `auth0` (database), `email`, `sms`, `google-oauth2`, `samlp`.
    pub strategy: String,
    pub enabled_clients: Vec<String>,
    #[serde(default)]
    pub idp_issuer: Option<String>,
}

/// A seeded user.
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    pub user_id: String,
    pub connection: String,
    pub email: String,
    pub password: String,
    pub name: String,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    pub nickname: String,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub linked_identities: Vec<String>,
    /// TOTP secret (raw ASCII bytes) of an enrolled OTP authenticator.
    #[serde(default)]
    pub otp_secret: Option<String>,
    #[serde(default)]
    pub recovery_code: Option<String>,
    #[serde(default)]
    pub blocked: bool,
}

/// The fixture as committed in `tenant.toml`.
pub const TENANT_TOML: &str = include_str!("tenant.toml");

impl Tenant {
    /// Parse the committed fixture.
    pub fn seeded() -> Result<Self, toml::de::Error> {
        toml::from_str(TENANT_TOML)
    }

    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.name == name)
    }

    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == user_id)
    }

    pub fn api(&self, identifier: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.identifier == identifier)
    }
}
