//! The suite file as written (`suites/*.toml`): target, fixtures, flows, per-operation and
//! per-case settings. Unknown keys are refused, so a typo is an error that names the key.

use indexmap::IndexMap;
use serde::Deserialize;

/// A whole suite file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    #[serde(default)]
    pub suite: SuiteHeader,
    /// Named values: literals or `${ENV_VAR}` (also `${env.ENV_VAR}`) references; the secret
    /// ones are masked everywhere, and a `curl` line shows them as `"$ENV_VAR"` (or a numbered
    /// `$CONFORM_SECRET_N` placeholder for a literal).
    #[serde(default)]
    pub fixtures: IndexMap<String, Fixture>,
    /// Settings shared by every case of an operation, by operationId.
    #[serde(default)]
    pub operations: IndexMap<String, OperationSettings>,
    /// Settings of one case, by case id (`oauth_token/401`).
    #[serde(default)]
    pub cases: IndexMap<String, CaseSettings>,
    /// Named sequences of requests whose captured values cases can use.
    #[serde(default)]
    pub flows: IndexMap<String, Flow>,
    /// Recipes by class (`success`, `invalid-input`, `unauthenticated`, `forbidden`,
    /// `not-found`, `rate-limited`, `server-error`, `other`).
    #[serde(default)]
    pub recipes: IndexMap<String, RecipeSettings>,
    /// Changes to the document before planning, each with a reason.
    #[serde(default)]
    pub patches: Vec<Patch>,
    /// Credentials by security scheme name (`[auth.bearerAuth] value = "${flows.user.access_token}"`):
    /// sent on every case whose operation needs the scheme, left out of its 401 case.
    #[serde(default)]
    pub auth: IndexMap<String, AuthSettings>,
    /// The OAuth 2.0 / OpenID Connect protocol checks to run, and the values they use.
    pub protocol: Option<ProtocolSettings>,
}

/// `[protocol]`: which protocol checks run (each reported as `protocol:NAME`) and the client,
/// user and endpoints they use. Every value may be a template (`${fixtures.X}`, `${ENV}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSettings {
    /// Names of protocol checks (the README's "Protocol checks" table), or `["all"]`.
    #[serde(default)]
    pub checks: Vec<String>,
    /// The confidential client the checks act as, and its registered redirect URI.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub redirect_uri: Option<String>,
    /// A second registered client (code binding: a code of one client is no good to another).
    pub other_client_id: Option<String>,
    pub other_client_secret: Option<String>,
    /// A user who can sign in (password grant), and what to ask for.
    pub username: Option<String>,
    pub password: Option<String>,
    pub scope: Option<String>,
    pub audience: Option<String>,
    /// The client of the device authorization grant (RFC 8628).
    pub device_client_id: Option<String>,
    /// A path outside the document that approves a user code (a test hook of the server,
    /// e.g. the reference server's `/__reference/device/approve`).
    pub device_approve: Option<String>,
    /// A path outside the document that expires a user code's device code at once (the
    /// reference server's `/__reference/device/expire`); without it expiry is not checked.
    pub device_expire: Option<String>,
    /// The server rotates refresh tokens: a used one must stop working.
    #[serde(default)]
    pub rotation: bool,
    /// The application whose refresh tokens rotate, where it is not `client_id` (rotation is
    /// a per-application setting on Auth0).
    pub rotation_client_id: Option<String>,
    pub rotation_client_secret: Option<String>,
    /// The operation in each endpoint role, where it is not at the conventional path
    /// (`token = "oauth_token"`).
    #[serde(default)]
    pub endpoints: IndexMap<String, String>,
}

impl ProtocolSettings {
    /// The values the checks use, by name, as written (templates unexpanded).
    pub fn values(&self) -> Vec<(&'static str, &str)> {
        [
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("redirect_uri", &self.redirect_uri),
            ("other_client_id", &self.other_client_id),
            ("other_client_secret", &self.other_client_secret),
            ("username", &self.username),
            ("password", &self.password),
            ("scope", &self.scope),
            ("audience", &self.audience),
            ("device_client_id", &self.device_client_id),
            ("device_approve", &self.device_approve),
            ("device_expire", &self.device_expire),
            ("rotation_client_id", &self.rotation_client_id),
            ("rotation_client_secret", &self.rotation_client_secret),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

/// The credentials of one security scheme; every value is secret and may be a template
/// (`${ENV}`, `${fixtures.X}`, `${flows.F.V}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The token (bearer, oauth2, openIdConnect), the API key, or `user:password` (basic).
    pub value: Option<String>,
    /// Same as `value`, for tokens.
    pub token: Option<String>,
    /// Basic: the user name and password.
    pub username: Option<String>,
    pub password: Option<String>,
    /// The flow that fetches the token: without `value`/`token`, the token is
    /// `${flows.<flow>.access_token}`.
    pub flow: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteHeader {
    pub name: Option<String>,
    pub description: Option<String>,
    /// The document, relative to the suite file.
    pub spec: Option<String>,
    /// `embedded` (conform's reference server) or a base URL; `--base-url` overrides it.
    pub target: Option<String>,
    /// Generated examples per generative case (`--examples` overrides it).
    pub examples: Option<u32>,
    /// Default pace of every operation, in requests per second (`[operations.X] rate` wins).
    pub rate: Option<f64>,
    /// A response slower than this many seconds fails the `response_time` check.
    pub max_response_time: Option<f64>,
    /// Treat the target as a live tenant (side-effect cases need `--allow`).
    pub live: Option<bool>,
    /// Operations whose token is passed as a credential header in the document: names of inputs
    /// the unauthenticated recipe corrupts or removes.
    #[serde(default)]
    pub credentials: Vec<String>,
    /// Every case must reach the status it sets out to provoke: an unreached case fails.
    pub strict: Option<bool>,
    /// Headers sent with every request (`${ENV}` allowed), under `--header` and under the
    /// operation's, the recipe class's and the case's own headers.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
}

/// A fixture: a bare value, or a table saying whether it is secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Fixture {
    // First: an untagged `Plain` would swallow `{ value = ..., secret = true }` tables.
    Detailed(DetailedFixture),
    Plain(toml::Value),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedFixture {
    pub value: toml::Value,
    #[serde(default)]
    pub secret: bool,
}

/// Declares a settings struct that also carries the recipe inputs (`inputs`, `omit`, `headers`,
/// `content_type`, `body`). serde's `flatten` cannot be combined with `deny_unknown_fields`, and
/// refusing unknown keys is what turns a typo into an error, so the fields are spelled out here.
macro_rules! with_inputs {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Parameter or top-level body property name → value (templates allowed).
            #[serde(default)]
            pub inputs: IndexMap<String, toml::Value>,
            /// Parameters or body properties to leave out.
            #[serde(default)]
            pub omit: Vec<String>,
            /// Extra request headers, e.g. `authorization = "Bearer ${flows.login.access_token}"`.
            #[serde(default)]
            pub headers: IndexMap<String, String>,
            /// Extra query parameters the document does not declare.
            #[serde(default)]
            pub query: IndexMap<String, String>,
            /// Which documented media type to send the body as.
            pub content_type: Option<String>,
            /// A raw body to send instead of a generated one.
            pub body: Option<String>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The recipe inputs of these settings.
            pub fn inputs(&self) -> Inputs {
                Inputs {
                    inputs: self.inputs.clone(),
                    omit: self.omit.clone(),
                    headers: self.headers.clone(),
                    query: self.query.clone(),
                    content_type: self.content_type.clone(),
                    body: self.body.clone(),
                }
            }
        }
    };
}

/// Inputs a recipe uses instead of generated values, merged from operation, case and step.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub inputs: IndexMap<String, toml::Value>,
    pub omit: Vec<String>,
    pub headers: IndexMap<String, String>,
    pub query: IndexMap<String, String>,
    pub content_type: Option<String>,
    pub body: Option<String>,
}

impl Inputs {
    /// `self` with `over` laid on top: its values win, lists add up.
    pub fn merged(&self, over: &Inputs) -> Inputs {
        let mut out = self.clone();
        // What a later layer pins is no longer omitted.
        out.omit.retain(|name| !over.inputs.contains_key(name));
        out.inputs.extend(over.inputs.clone());
        out.omit.extend(over.omit.iter().cloned());
        out.headers.extend(over.headers.clone());
        out.query.extend(over.query.clone());
        if over.content_type.is_some() {
            out.content_type = over.content_type.clone();
        }
        if over.body.is_some() {
            out.body = over.body.clone();
        }
        out
    }
}

with_inputs! {
pub struct OperationSettings {
    /// What calling it does beyond answering (`none`, `creates-user`, `sends-email`, ...).
    pub side_effect: Option<String>,
    /// At most this many requests per second to this operation, sustained.
    pub rate: Option<f64>,
    /// Requests that may go at once before `rate` applies (Auth0's "burst").
    pub burst: Option<u32>,
    /// At most this many requests to this operation in a run.
    pub budget: Option<u32>,
    /// Do not run any case of this operation, with why (e.g. the tenant lacks the feature).
    pub skip: Option<String>,
}
}

with_inputs! {
pub struct CaseSettings {
    /// The status a real server answers instead of the documented one, with `reason`.
    pub expect_status: Option<u16>,
    pub reason: Option<String>,
    /// Known to fail, with why: a failure is reported as expected, a pass as news.
    pub xfail: Option<String>,
    /// Do not run this case, with why.
    pub skip: Option<String>,
    /// Send only this one request, never generated variants.
    #[serde(default)]
    pub fixed: bool,
    /// Flows run after the case passes, to check its effect (a revoked token no longer
    /// works); `${case.NAME}` in them is what the case sent as NAME.
    #[serde(default)]
    pub verify: Vec<String>,
    /// This case must reach its status (as `[suite] strict`, for one case).
    #[serde(default)]
    pub must_reach: bool,
    /// The reference convention (a name from the reference server's PROVOKE.md) that provokes
    /// this status where real Auth0 cannot; reports say so when the case passes.
    pub convention: Option<String>,
}
}

/// A named sequence of steps; later steps and cases use `${flows.NAME.VAR}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub steps: Vec<Step>,
    /// Run again for every use (single-use values such as authorization codes).
    #[serde(default)]
    pub fresh: bool,
}

with_inputs! {
pub struct Step {
    /// operationId of the call; or, for an endpoint outside the document (the reference
    /// server's outbox), `path` (and `method`, default GET).
    pub operation: Option<String>,
    pub path: Option<String>,
    pub method: Option<String>,
    /// The status the step must get (default: any 2xx or 3xx).
    pub expect_status: Option<u16>,
    /// Variable → where to take it from: a JSON pointer into the body (`/access_token`), or
    /// `location:NAME` for a query (or fragment) parameter of the `Location` header.
    #[serde(default)]
    pub capture: IndexMap<String, String>,
}
}

with_inputs! {
/// A suite's recipe for one class of cases (`[recipes.server-error]`, `[recipes.unauthenticated]`,
/// ...): inputs every case of the class gets, plus burst settings for `rate-limited`.
pub struct RecipeSettings {
    /// `rate-limited`: at most this many requests per case.
    pub burst: Option<u32>,
    /// `rate-limited`: run by default (otherwise only with `--include-ignored`).
    pub enabled: Option<bool>,
    /// `rate-limited`: send the burst from this loopback source address so other cases keep
    /// their budget.
    pub source_address: Option<std::net::IpAddr>,
    /// The reference convention every case of this class relies on (see `CaseSettings`).
    pub convention: Option<String>,
}
}

/// A change to the document, applied before planning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// Why the document is wrong for real servers.
    pub reason: String,
    /// JSON pointer of the node to change.
    pub pointer: String,
    /// `replace`, `add` or `remove`.
    pub op: String,
    pub value: Option<toml::Value>,
}

/// Side-effect classes an operation can have (`[operations.X] side_effect`).
pub const SIDE_EFFECTS: &[&str] = &[
    "none",
    "issues-token",
    "creates-user",
    "changes-user",
    "sends-email",
    "sends-sms",
    "enrols-mfa",
    "removes-mfa",
    "revokes-token",
    "creates-client",
    "impersonates",
];

/// Classes sent to a live target without `--allow`: they change nothing that lasts.
pub const SAFE_SIDE_EFFECTS: &[&str] = &["none", "issues-token"];
