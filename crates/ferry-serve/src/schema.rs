//! The WES 1.1 messages as Rust types, and the OpenAPI document made from them and from the
//! handlers' `#[utoipa::path]` annotations (served at `/ga4gh/wes/v1/openapi.json`). A
//! response is built from these types only, so what the document says is what the server
//! sends; the property-based test (`tests/serve.rs`, schemathesis) checks the two against
//! each other.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// `{"msg": ..., "status_code": ...}`: every error this server answers.
#[derive(Serialize, ToSchema)]
pub struct ErrorResponse {
    /// What went wrong, for a person.
    pub msg: String,
    /// The HTTP status code again.
    pub status_code: i32,
}

#[derive(Serialize, ToSchema)]
pub struct RunId {
    pub run_id: String,
}

/// A run's state.
#[derive(Serialize, ToSchema)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types, dead_code)]
pub enum State {
    UNKNOWN,
    QUEUED,
    INITIALIZING,
    RUNNING,
    PAUSED,
    COMPLETE,
    EXECUTOR_ERROR,
    SYSTEM_ERROR,
    CANCELED,
    CANCELING,
    PREEMPTED,
}

#[derive(Serialize, ToSchema)]
pub struct RunStatus {
    pub run_id: String,
    #[schema(value_type = State)]
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct RunSummary {
    pub run_id: String,
    #[schema(value_type = State)]
    pub state: String,
    /// When the run started, RFC 3339; absent while it is queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When the run ended, RFC 3339; absent while it is going.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub struct RunListResponse {
    /// In submission order.
    pub runs: Vec<RunSummary>,
    /// Give as `page_token` for the next page; empty on the last.
    pub next_page_token: String,
    /// Every run the server knows.
    pub total_runs: u64,
}

/// The request a run was submitted with, as the server understood it.
#[derive(Serialize, ToSchema)]
pub struct RunRequest {
    #[schema(value_type = Object)]
    pub workflow_params: Value,
    pub workflow_type: String,
    pub workflow_type_version: String,
    pub tags: BTreeMap<String, String>,
    pub workflow_engine_parameters: BTreeMap<String, String>,
    pub workflow_engine: String,
    pub workflow_url: String,
}

/// A run's or a task's log: its times, exit code and where its stdout and stderr are.
#[derive(Serialize, ToSchema, Default)]
pub struct Log {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub cmd: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// A URL on this server; absent until there is something to read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub system_logs: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RunLog {
    pub run_id: String,
    pub request: RunRequest,
    #[schema(value_type = State)]
    pub state: String,
    pub run_log: Log,
    /// Where the run's task logs are, page by page.
    pub task_logs_url: String,
    /// The workflow's outputs as `ferry run` prints them; empty until it completes.
    #[schema(value_type = Object)]
    pub outputs: Value,
}

/// One attempt of one call.
#[derive(Serialize, ToSchema)]
pub struct TaskLog {
    /// The attempt's directory under the run's `calls/` (`align/shard-3/attempt-1`).
    pub id: String,
    /// The call's name.
    pub name: String,
    pub cmd: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub system_logs: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TaskListResponse {
    /// In the order the attempts ended.
    pub task_logs: Vec<TaskLog>,
    pub next_page_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceType {
    pub group: String,
    pub artifact: String,
    pub version: String,
}

#[derive(Serialize, ToSchema)]
pub struct Organization {
    pub name: String,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct WorkflowTypeVersion {
    pub workflow_type_version: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WorkflowEngineVersion {
    pub workflow_engine_version: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DefaultWorkflowEngineParameter {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub default_value: String,
}

/// The GA4GH service-info fields and WES's own.
#[derive(Serialize, ToSchema)]
pub struct ServiceInfo {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ServiceType,
    pub description: String,
    pub organization: Organization,
    pub version: String,
    pub workflow_type_versions: BTreeMap<String, WorkflowTypeVersion>,
    pub supported_wes_versions: Vec<String>,
    pub supported_filesystem_protocols: Vec<String>,
    pub workflow_engine_versions: BTreeMap<String, WorkflowEngineVersion>,
    pub default_workflow_engine_parameters: Vec<DefaultWorkflowEngineParameter>,
    /// How many runs are in each state.
    pub system_state_counts: BTreeMap<String, u64>,
    pub auth_instructions_url: String,
    pub tags: BTreeMap<String, String>,
}

/// `page_size` and `page_token` of the two paged lists.
#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// At most this many (1 to 1,000; 100 if not given).
    pub page_size: Option<i64>,
    /// A `next_page_token` this server gave.
    #[param(pattern = "^[0-9]*$")]
    pub page_token: Option<String>,
}

/// The multipart form of `POST /runs`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RunForm {
    /// A JSON object: the workflow's inputs.
    workflow_params: Option<String>,
    /// `WDL`.
    #[schema(pattern = "^[Ww][Dd][Ll]$")]
    workflow_type: String,
    /// The document's own `version` line decides; this is logged if it differs.
    workflow_type_version: String,
    /// A JSON object of strings.
    tags: Option<String>,
    /// A JSON object of strings; `profile` names the ferry.toml profile(s) to run with.
    workflow_engine_parameters: Option<String>,
    workflow_engine: Option<String>,
    workflow_engine_version: Option<String>,
    /// An attachment's file name, or `file://` under a directory the server was given.
    #[schema(min_length = 1)]
    workflow_url: String,
    #[schema(value_type = Vec<String>, format = Binary)]
    workflow_attachment: Option<Vec<Vec<u8>>>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferry: Workflow Execution Service",
        description = "GA4GH WES 1.1 for WDL workflows, run by Ferry.",
    ),
    servers((url = "/ga4gh/wes/v1")),
    paths(
        crate::wes::service_info,
        crate::wes::list_runs,
        crate::wes::submit,
        crate::wes::run_log,
        crate::wes::run_status,
        crate::wes::cancel_run,
        crate::wes::list_tasks,
        crate::wes::get_task,
    ),
    components(schemas(State, RunStatus)),
    modifiers(&BearerToken),
)]
pub struct WesDocument;

/// The bearer token a server given `--token-file` asks of every request.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON.
pub fn document() -> String {
    WesDocument::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
