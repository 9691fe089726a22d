//! Representation of the analysis document graph.

use std::collections::HashMap;
use std::collections::HashSet;
use std::fs;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::Result;
use anyhow::anyhow;
use anyhow::bail;
use indexmap::IndexMap;
use indexmap::IndexSet;
use line_index::LineIndex;
use petgraph::Direction;
use petgraph::algo::has_path_connecting;
use petgraph::graph::NodeIndex;
use petgraph::stable_graph::StableDiGraph;
use petgraph::visit::Bfs;
use petgraph::visit::EdgeRef;
use petgraph::visit::Visitable;
use petgraph::visit::Walker;
use reqwest::Client;
use rowan::GreenNode;
use tokio::runtime::Handle;
use tracing::debug;
use tracing::trace;
use url::Url;
use wdl_ast::AstNode;
use wdl_ast::AstToken as _;
use wdl_ast::Diagnostic;
use wdl_ast::SupportedVersion;
use wdl_ast::SyntaxNode;
use wdl_ast::version::V1;

use crate::AppliedEdit;
use crate::Config;
use crate::Diagnostics;
use crate::IncrementalChange;
use crate::UsingFallbackVersion;
use crate::document::Document;
use crate::document::cache::AnalysisCache;

/// Represents space for a DFS search of a document graph.
pub type DfsSpace = petgraph::algo::DfsSpace<
    NodeIndex,
    <StableDiGraph<DocumentGraphNode, EdgeKind> as Visitable>::Map,
>;

/// The kind of dependency edge between two documents in the graph.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum EdgeKind {
    /// A URI import (e.g., `import "https://example.com/foo.wdl"`).
    Uri,
    /// A symbolic import (e.g., `import spellbook`); the value is the
    /// symbolic path text.
    Symbolic(String),
}

/// Represents the parse state of a document graph node.
#[derive(Clone, Debug)]
pub enum ParseState {
    /// The document is not parsed.
    NotParsed,
    /// There was an error parsing the document.
    Error(Arc<anyhow::Error>),
    /// The document was parsed.
    Parsed {
        /// The monotonic version of the document that was parsed.
        ///
        /// This value comes from incremental changes to the file.
        ///
        /// If `None`, the parsed version had no incremental changes.
        version: Option<i32>,
        /// The WDL version of the document.
        ///
        /// This usually comes from the `version` statement in the parsed
        /// document, but can be overridden by
        /// [`Config::with_fallback_version()`].
        wdl_version: Option<SupportedVersion>,
        /// The root CST node of.
        root: GreenNode,
        /// The line index of the document.
        lines: Arc<LineIndex>,
        /// The diagnostics from the parse.
        diagnostics: Vec<Diagnostic>,
        /// The edits that were applied to reach this parse state from the last.
        edits: Arc<[AppliedEdit]>,
    },
}

impl ParseState {
    /// Gets the version of parsed document.
    pub fn version(&self) -> Option<i32> {
        match self {
            ParseState::Parsed { version, .. } => *version,
            _ => None,
        }
    }

    /// Gets the line index of parsed document.
    pub fn lines(&self) -> Option<&Arc<LineIndex>> {
        match self {
            ParseState::Parsed { lines, .. } => Some(lines),
            _ => None,
        }
    }

    /// Returns whether symbolic imports may be resolved for this parse state
    /// under the given configuration.
    ///
    /// Symbolic imports require the WDL 1.4 feature flag and a document parsed
    /// at WDL 1.4 or later. This is the single source of truth shared by the
    /// analysis queue and document resolution.
    pub(crate) fn symbolic_imports_enabled(&self, config: &Config) -> bool {
        if !config.feature_flags().wdl_1_4() {
            return false;
        }

        matches!(
            self,
            ParseState::Parsed {
                wdl_version: Some(version),
                ..
            } if *version >= SupportedVersion::V1(V1::Four)
        )
    }
}

/// Represents a node in a document graph.
#[derive(Debug)]
pub struct DocumentGraphNode {
    /// The analyzer configuration.
    config: Config,
    /// The URI of the document.
    uri: Arc<Url>,
    /// The current incremental change to the document.
    ///
    /// If `None`, there is no pending incremental change applied to the node.
    change: Option<IncrementalChange>,
    /// The parse state of the document.
    parse_state: ParseState,
    /// The analyzed document for the node.
    ///
    /// If `None`, an analysis does not exist for the current state of the node.
    /// This will also be `None` if analysis panicked
    document: Option<Document>,
    /// The analysis cache for the node, retained across re-analysis passes for
    /// incremental cache recycling.
    cache: Option<Arc<AnalysisCache>>,
    /// An error that occurred during the analysis phase for this node
    analysis_error: Option<Arc<anyhow::Error>>,
    /// Symbolic imports that this node attempted but failed to resolve, keyed
    /// by the symbolic path text. The value is the resolver's error message.
    failed_symbolic_imports: HashMap<String, String>,
}

impl DocumentGraphNode {
    /// Constructs a new unparsed document graph node.
    pub fn new(config: Config, uri: Arc<Url>) -> Self {
        Self {
            config,
            uri,
            change: None,
            parse_state: ParseState::NotParsed,
            document: None,
            cache: None,
            failed_symbolic_imports: HashMap::new(),
            analysis_error: None,
        }
    }

    /// Gets the URI of the document node.
    pub fn uri(&self) -> &Arc<Url> {
        &self.uri
    }

    /// Notifies the document node that there's been an incremental change.
    pub fn notify_incremental_change(&mut self, change: IncrementalChange) {
        trace!("document `{uri}` has incrementally changed", uri = self.uri);

        // Clear the analyzed document as there has been a change
        self.reanalyze();

        // Attempt to merge the edits of the change
        if let Some(IncrementalChange {
            version: existing_version,
            start: existing_start,
            edits: existing_edits,
        }) = &mut self.change
        {
            let IncrementalChange {
                version,
                start,
                edits,
            } = change;
            *existing_version = version;
            if start.is_some() {
                *existing_start = start;
                *existing_edits = edits;
            } else {
                existing_edits.extend(edits);
            }
        } else {
            self.change = Some(change)
        }
    }

    /// Notifies the document node that the document has fully changed.
    pub fn notify_change(&mut self, discard_pending: bool) {
        trace!("document `{uri}` has changed", uri = self.uri);

        // Clear the analyzed document as there has been a change
        self.reanalyze();

        if discard_pending {
            self.parse_state = ParseState::NotParsed;
            self.change = None;
            return;
        }

        // Try to retain the pending changes
        let mut new_change = None;
        if let Ok(Some((version, source, ..))) = self.apply_changes() {
            if let Some(v) = version {
                new_change = Some(IncrementalChange {
                    version: v,
                    start: Some(source),
                    edits: Vec::new(),
                });
            }
        } else if let ParseState::Parsed {
            version: Some(version),
            root,
            ..
        } = &self.parse_state
        {
            new_change = Some(IncrementalChange {
                version: *version,
                start: Some(SyntaxNode::new_root(root.clone()).text().to_string()),
                edits: Vec::new(),
            });
        }

        self.parse_state = ParseState::NotParsed;
        self.change = new_change;
    }

    /// Gets the parse state of the document node.
    pub fn parse_state(&self) -> &ParseState {
        &self.parse_state
    }

    /// Marks the parse as completed.
    pub fn parse_completed(&mut self, state: ParseState) {
        assert!(!matches!(state, ParseState::NotParsed));
        self.parse_state = state;
        self.analysis_error = None;

        // Clear any document change
        self.change = None;
    }

    /// Clears all failed symbolic import entries for this node.
    ///
    /// Call this alongside [`DocumentGraph::remove_dependency_edges`] so that
    /// stale failure diagnostics do not survive a re-analysis pass.
    pub fn clear_failed_symbolic_imports(&mut self) {
        self.failed_symbolic_imports.clear();
    }

    /// Gets the analyzed document for the node.
    ///
    /// Returns `None` if the document hasn't been analyzed.
    pub fn document(&self) -> Option<&Document> {
        self.document.as_ref()
    }

    /// Gets the analysis cache for this node, if one exists.
    pub(crate) fn cache(&self) -> Option<&AnalysisCache> {
        self.cache.as_deref()
    }

    /// Takes the analysis cache out of the node.
    pub(crate) fn take_cache(&mut self) -> Option<Arc<AnalysisCache>> {
        self.cache.take()
    }

    /// Gets the analysis error, if any
    pub fn analysis_error(&self) -> Option<&Arc<anyhow::Error>> {
        self.analysis_error.as_ref()
    }

    /// Marks the analysis as completed.
    pub(crate) fn analysis_completed(&mut self, document: Document) {
        self.cache = Some(document.cache());
        self.document = Some(document);
        self.analysis_error = None;
    }

    /// Marks the analysis as failed with an error
    pub(crate) fn analysis_failed(&mut self, error: Arc<anyhow::Error>) {
        self.document = None;
        self.cache = None;
        self.analysis_error = Some(error);
    }

    /// Marks the document node for reanalysis.
    ///
    /// This may occur when a dependency has changed.
    pub fn reanalyze(&mut self) {
        self.analysis_error = None;
        self.document = None;
    }

    /// Gets the root AST node of the document.
    ///
    /// Returns `None` if the document was not parsed.
    pub fn root(&self) -> Option<wdl_ast::Document> {
        if let ParseState::Parsed { root, .. } = &self.parse_state {
            return Some(
                wdl_ast::Document::cast(SyntaxNode::new_root(root.clone()))
                    .expect("node should cast"),
            );
        }

        None
    }

    /// Gets the WDL version of the document.
    ///
    /// Returns `None` if the document was not parsed or was missing a version
    /// statement.
    pub fn wdl_version(&self) -> Option<SupportedVersion> {
        if let ParseState::Parsed {
            wdl_version: Some(v),
            ..
        } = &self.parse_state
        {
            Some(*v)
        } else {
            None
        }
    }

    /// Determines if the document needs to be parsed.
    pub fn needs_parse(&self) -> bool {
        self.change.is_some() || matches!(self.parse_state, ParseState::NotParsed)
    }

    /// Parses the document.
    ///
    /// If a parse is not necessary, the current parse state is returned.
    ///
    /// Otherwise, the new parse state is returned.
    pub fn parse(&self, tokio: &Handle, client: &Client) -> Result<ParseState> {
        if !self.needs_parse() {
            return Ok(self.parse_state.clone());
        }

        // First attempt an incremental parse
        if let Some(state) = self.incremental_parse() {
            return Ok(state);
        }

        // Otherwise, fall back to a full parse.
        self.full_parse(tokio, client)
    }

    /// Applies any pending changes to the document.
    ///
    /// Returns `(version, full source string, line index, edits)`
    #[allow(clippy::type_complexity)]
    pub(crate) fn apply_changes(
        &self,
    ) -> Result<Option<(Option<i32>, String, Arc<LineIndex>, Vec<AppliedEdit>)>> {
        let Some(change) = &self.change else {
            return Ok(None);
        };

        // The document has been edited; if there is start source, apply the
        // edits to it
        let (source, lines, applied_edits) = if change.start.is_some() {
            change
                .apply()
                .map(|(source, lines)| (source, lines, Vec::new()))?
        } else {
            // Otherwise, apply the edits to the last parse
            let (mut source, mut lines) = match &self.parse_state {
                ParseState::Parsed { root, lines, .. } => (
                    SyntaxNode::new_root(root.clone()).text().to_string(),
                    (**lines).clone(),
                ),
                _ => bail!("cannot apply edits to a document that was not previously parsed"),
            };

            let applied_edits = change.apply_to(&mut source, &mut lines)?;
            (source, lines, applied_edits)
        };

        Ok(Some((
            Some(change.version),
            source,
            Arc::new(lines),
            applied_edits,
        )))
    }

    /// Performs an incremental parse of the document.
    ///
    /// Returns an error with the given change if the document needs a full
    /// parse.
    fn incremental_parse(&self) -> Option<ParseState> {
        match &self.change {
            None | Some(IncrementalChange { start: Some(_), .. }) => None,
            Some(IncrementalChange { start: None, .. }) => {
                // TODO: implement incremental parsing
                // For each edit:
                //   * determine if the edit is to a token; if so, replace it in
                //     the tree
                //   * otherwise, find a reparsable ancestor for the covering
                //     element and ask it to reparse; if one is found, reparse
                //     and replace the node
                //   * if a reparsable node can't be found, return an error to
                //     trigger a full reparse
                //   * incrementally update the parse diagnostics depending on
                //     the result
                None
            }
        }
    }

    /// Performs a full parse of the node.
    fn full_parse(&self, tokio: &Handle, client: &Client) -> Result<ParseState> {
        let (version, source, lines, edits) = match self.apply_changes()? {
            Some(res) => res,
            None => {
                // Fetch the source
                let result = match self.uri.to_file_path() {
                    Ok(path) => fs::read_to_string(path).map_err(Into::into),
                    Err(_) => match self.uri.scheme() {
                        "https" | "http" => Self::download_source(tokio, client, &self.uri),
                        scheme => Err(anyhow!("unsupported URI scheme `{scheme}`")),
                    },
                };

                match result {
                    Ok(source) => {
                        let lines = Arc::new(LineIndex::new(&source));
                        (None, source, lines, Vec::new())
                    }
                    Err(e) => return Ok(ParseState::Error(e.into())),
                }
            }
        };

        // Reparse from the source
        let start = Instant::now();
        let (document, parse_diagnostics) =
            wdl_ast::Document::parse(&source, self.config.fallback_version());
        debug!(
            "parsing of `{uri}` completed in {elapsed:?}",
            uri = self.uri,
            elapsed = start.elapsed()
        );

        let mut diagnostics = Diagnostics::default();
        diagnostics.extend(parse_diagnostics);

        // Apply version fallback logic at this point, so that appropriate
        // diagnostics will prevent subsequent analysis from occurring
        // on an unexpected version
        let mut wdl_version = None;
        if let Some(version_statement) = document.version_statement() {
            let version_token = version_statement.version();

            match (
                version_token.text().parse::<SupportedVersion>(),
                self.config.fallback_version(),
            ) {
                // The version in the document is supported, so there's no
                // diagnostic to add
                (Ok(version), _) => {
                    wdl_version = Some(version);
                }
                // The version in the document is not supported, but fallback
                // behavior is configured
                (Err(_), Some(fallback)) => {
                    if let Some(severity) = self.config.diagnostics_config().using_fallback_version
                    {
                        diagnostics.exceptable_add(
                            Diagnostic::warning(format!(
                                "unsupported WDL version `{version}`; interpreting document as \
                                 version `{fallback}`",
                                version = version_token.text(),
                            ))
                            .with_rule(UsingFallbackVersion::ID)
                            .with_severity(severity)
                            .with_label(
                                "this version of WDL is not supported",
                                version_token.span(),
                            ),
                            version_statement.inner(),
                            &UsingFallbackVersion::EXCEPTABLE_NODES,
                        );
                    }
                    wdl_version = Some(fallback);
                }
                (Err(_), None) => {
                    // Diagnostic already emitted by wdl-grammar
                }
            };
        }

        Ok(ParseState::Parsed {
            version,
            wdl_version,
            root: document.inner().green().to_owned(),
            lines,
            diagnostics: diagnostics.into(),
            edits: edits.into(),
        })
    }

    /// Downloads the source of a `http` or `https` scheme URI.
    ///
    /// This makes a request on the provided tokio runtime to download the
    /// source.
    fn download_source(tokio: &Handle, client: &Client, uri: &Url) -> Result<String> {
        /// The timeout for downloading the source, in seconds.
        const TIMEOUT_IN_SECS: u64 = 30;

        debug!("downloading source from `{uri}`");

        tokio.block_on(async {
            let resp = client
                .get(uri.as_str())
                .timeout(Duration::from_secs(TIMEOUT_IN_SECS))
                .send()
                .await?;

            let code = resp.status();
            if !code.is_success() {
                bail!(
                    "server response for `{uri}` was {code} ({message})",
                    code = code.as_u16(),
                    message = code.canonical_reason().unwrap_or("unknown")
                );
            }

            resp.text()
                .await
                .with_context(|| format!("failed to read response body for `{uri}`"))
        })
    }
}

/// Represents a graph of WDL analyzed documents.
#[derive(Debug)]
pub struct DocumentGraph {
    /// The analyzer configuration.
    config: Config,
    /// The inner directional graph.
    ///
    /// Edges in the graph denote inverse dependency relationships (i.e. "is
    /// depended upon by").
    inner: StableDiGraph<DocumentGraphNode, EdgeKind>,
    /// Map from document URI to graph node index.
    indexes: IndexMap<Arc<Url>, NodeIndex>,
    /// The current set of rooted nodes in the graph.
    ///
    /// Rooted nodes are those that were explicitly added to the analyzer.
    ///
    /// A rooted node is one that will not be collected even if the node has no
    /// outgoing edges (i.e. is not depended upon by any other file).
    roots: IndexSet<NodeIndex>,
    /// Represents dependency edges that, if they were added to the document
    /// graph, would form a cycle.
    ///
    /// The first in the pair is the dependent node and the second is the
    /// depended node.
    ///
    /// This is used to break import cycles; when analyzing the document, if the
    /// import relationship exists in this set, a diagnostic will be added and
    /// the import otherwise ignored.
    cycles: HashSet<(NodeIndex, NodeIndex)>,
}

impl DocumentGraph {
    /// Make a new [`DocumentGraph`] with the given configuration.
    pub fn new(config: Config) -> Self {
        DocumentGraph {
            config,
            inner: StableDiGraph::new(),
            indexes: IndexMap::new(),
            roots: IndexSet::new(),
            cycles: HashSet::new(),
        }
    }

    /// Gets the analyzer configuration used by this graph.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Add a node to the document graph.
    pub fn add_node(&mut self, uri: Url, rooted: bool) -> NodeIndex {
        let index = match self.indexes.get(&uri) {
            Some(index) => *index,
            _ => {
                debug!("inserting `{uri}` into the document graph");
                let uri = Arc::new(uri);
                let index = self
                    .inner
                    .add_node(DocumentGraphNode::new(self.config.clone(), uri.clone()));
                self.indexes.insert(uri, index);
                index
            }
        };

        if rooted {
            self.roots.insert(index);
        }

        index
    }

    /// Marks all documents in the graph for reanalysis.
    pub fn reanalyze_all(&mut self) {
        for node in self.inner.node_weights_mut() {
            node.reanalyze();
        }
    }

    /// Removes a root from the document graph.
    ///
    /// Note that this does not remove any nodes, only removes the document from
    /// the set of rooted nodes.
    ///
    /// If the node has no outgoing edges, it will be removed on the next
    /// garbage collection.
    pub fn remove_root(&mut self, uri: &Url) {
        let base = match uri.to_file_path() {
            Ok(base) => base,
            Err(_) => return,
        };

        // As the URI might be a directory containing WDL files, look for
        // prefixed files
        let mut removed = Vec::new();
        for (uri, index) in &self.indexes {
            let path = match uri.to_file_path() {
                Ok(path) => path,
                Err(_) => continue,
            };

            if path.starts_with(&base) {
                removed.push(*index);
            }
        }

        for index in removed {
            let node = &mut self.inner[index];

            // We don't actually remove nodes from the graph, just remove it as
            // a root. If the node has no outgoing edges, it will be
            // collected in the next GC.
            if !self.roots.swap_remove(&index) {
                debug!(
                    "document `{uri}` is no longer rooted in the graph",
                    uri = node.uri
                );
            }

            node.parse_state = ParseState::NotParsed;
            node.document = None;
            node.change = None;

            // Do a BFS traversal to trigger re-analysis in dependent documents
            self.bfs_mut(index, |graph, dependent: NodeIndex| {
                let node = graph.get_mut(dependent);
                trace!("document `{uri}` needs to be reanalyzed", uri = node.uri);
                node.reanalyze();
            });
        }
    }

    /// Forcefully removes a document (or directory of documents) from the
    /// graph.
    ///
    /// Unlike [`Self::remove_root()`], this fully removes the node(s) without
    /// waiting for garbage collection.
    pub fn delete(&mut self, uri: &Url) {
        fn delete_node(graph: &mut DocumentGraph, index: NodeIndex) {
            let node_uri = graph.inner[index].uri.clone();

            graph.bfs_mut(index, |graph, dependent: NodeIndex| {
                if dependent == index {
                    return;
                }

                let dep_node = graph.get_mut(dependent);
                trace!(
                    "document `{uri}` needs to be reanalyzed",
                    uri = dep_node.uri
                );

                // Drop any dependents down to an unparsed state
                dep_node.notify_change(false);
            });

            graph.roots.swap_remove(&index);
            graph.indexes.swap_remove(&node_uri);
            graph
                .cycles
                .retain(|(from, to)| *from != index && *to != index);
            graph.inner.remove_node(index);

            debug!(
                "document `{uri}` was deleted from the graph",
                uri = node_uri
            );
        }

        let base = match uri.to_file_path() {
            Ok(base) => base,
            Err(_) => {
                if let Some(index) = self.indexes.get(uri).copied() {
                    delete_node(self, index);
                }
                return;
            }
        };

        // Find all documents that fall under the deleted path
        let mut removed = Vec::new();
        for (node_uri, index) in &self.indexes {
            let path = match node_uri.to_file_path() {
                Ok(path) => path,
                Err(_) => continue,
            };

            if path.starts_with(&base) {
                removed.push(*index);
            }
        }

        for index in removed {
            delete_node(self, index);
        }
    }

    /// Determines if the given node is rooted.
    pub fn is_rooted(&self, index: NodeIndex) -> bool {
        self.roots.contains(&index)
    }

    /// Gets the rooted nodes in the graph.
    pub fn roots(&self) -> &IndexSet<NodeIndex> {
        &self.roots
    }

    /// Determines if the given document node should be included in analysis
    /// results.
    pub fn include_result(&self, index: NodeIndex) -> bool {
        // Only consider rooted or parsed nodes that have been analyzed
        let node = self.get(index);
        node.document().is_some()
            && (self.roots.contains(&index)
                || matches!(node.parse_state(), ParseState::Parsed { .. }))
    }

    /// Gets a node from the graph.
    pub fn get(&self, index: NodeIndex) -> &DocumentGraphNode {
        &self.inner[index]
    }

    /// Gets a mutable node from the graph.
    pub fn get_mut(&mut self, index: NodeIndex) -> &mut DocumentGraphNode {
        &mut self.inner[index]
    }

    /// Gets the node index for the given document URI.
    ///
    /// Returns `None` if the document is not in the graph.
    pub fn get_index(&self, uri: &Url) -> Option<NodeIndex> {
        self.indexes.get(uri).copied()
    }

    /// Performs a breadth-first traversal of the graph starting at the given
    /// node.
    ///
    /// Mutations to the document nodes are permitted.
    pub fn bfs_mut(&mut self, index: NodeIndex, mut cb: impl FnMut(&mut Self, NodeIndex)) {
        let mut bfs = Bfs::new(&self.inner, index);
        while let Some(node) = bfs.next(&self.inner) {
            cb(self, node);
        }
    }

    /// Gets the direct dependencies of a node.
    pub fn dependencies(&self, index: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.inner
            .edges_directed(index, Direction::Incoming)
            .map(|e| e.source())
    }

    /// Looks up a previously resolved symbolic import of the importer.
    ///
    /// Dependency edges are stored reversed (dependency → dependent), so the
    /// importer's dependencies are reached by walking its incoming edges.
    pub fn get_resolved_symbolic_import(
        &self,
        importer: NodeIndex,
        path_text: &str,
    ) -> Option<&Arc<Url>> {
        self.inner
            .edges_directed(importer, Direction::Incoming)
            .find(|edge| matches!(edge.weight(), EdgeKind::Symbolic(name) if name == path_text))
            .map(|edge| &self.inner[edge.source()].uri)
    }

    /// Records a failed symbolic import resolution on the importer node.
    pub fn insert_failed_symbolic_import(
        &mut self,
        importer: NodeIndex,
        path_text: String,
        error: String,
    ) {
        self.inner[importer]
            .failed_symbolic_imports
            .insert(path_text, error);
    }

    /// Looks up a previously failed symbolic import on the importer node.
    pub fn get_failed_symbolic_import(&self, importer: NodeIndex, path_text: &str) -> Option<&str> {
        self.inner[importer]
            .failed_symbolic_imports
            .get(path_text)
            .map(String::as_str)
    }

    /// Removes all dependency edges from the given node.
    pub fn remove_dependency_edges(&mut self, index: NodeIndex) {
        // Retain all edges where the target isn't the given node (i.e. an
        // incoming edge)
        self.inner.retain_edges(|g, e| {
            let (_, target) = g.edge_endpoints(e).expect("edge should be valid");
            target != index
        });
    }

    /// Adds a dependency edge from one document to another.
    ///
    /// If a dependency edge already exists, this is a no-op.
    pub fn add_dependency_edge(
        &mut self,
        from: NodeIndex,
        to: NodeIndex,
        kind: EdgeKind,
        space: &mut DfsSpace,
    ) {
        // Check to see if there is already a path between the nodes; if so,
        // there's a cycle
        if has_path_connecting(&self.inner, from, to, Some(space)) {
            // Adding the edge would cause a cycle, so record the cycle instead
            debug!(
                "an import cycle was detected between `{from}` and `{to}`",
                from = self.inner[from].uri,
                to = self.inner[to].uri
            );
            self.cycles.insert((from, to));
        } else if !self.inner.contains_edge(to, from) {
            debug!(
                "adding dependency edge from `{from}` to `{to}`",
                from = self.inner[from].uri,
                to = self.inner[to].uri
            );

            // Note that we store inverse dependency edges in the graph, so the
            // relationship is reversed
            self.inner.add_edge(to, from, kind);
        }
    }

    /// Determines if there is a cycle between the given nodes.
    pub fn contains_cycle(&self, from: NodeIndex, to: NodeIndex) -> bool {
        self.cycles.contains(&(from, to))
    }

    /// Creates a subgraph of this graph for the given nodes to include.
    pub fn subgraph(&self, nodes: &IndexSet<NodeIndex>) -> StableDiGraph<NodeIndex, ()> {
        self.inner
            .filter_map(|i, _| nodes.contains(&i).then_some(i), |_, _| Some(()))
    }

    /// Performs a garbage collection on the graph.
    ///
    /// This removes any non-rooted nodes that have no outgoing edges (i.e. are
    /// not depended upon by another document).
    pub fn gc(&mut self) {
        loop {
            let mut collected = HashSet::new();
            for node in self.inner.node_indices() {
                if self.roots.contains(&node) {
                    continue;
                }

                if self
                    .inner
                    .edges_directed(node, Direction::Outgoing)
                    .next()
                    .is_none()
                {
                    debug!(
                        "removing document `{uri}` from the graph",
                        uri = self.inner[node].uri
                    );
                    collected.insert(node);
                }
            }

            if collected.is_empty() {
                return;
            }

            for node in &collected {
                self.inner.remove_node(*node);
            }

            self.indexes.retain(|_, index| !collected.contains(index));

            self.cycles
                .retain(|(from, to)| !collected.contains(from) && !collected.contains(to));
        }
    }

    /// Gets all nodes that have a dependency on the given node.
    pub fn transitive_dependents(
        &self,
        index: petgraph::graph::NodeIndex,
    ) -> impl Iterator<Item = NodeIndex> {
        Bfs::new(&self.inner, index).iter(&self.inner)
    }

    /// Gets the inner stable dependency graph.
    pub(crate) fn inner(&self) -> &StableDiGraph<DocumentGraphNode, EdgeKind> {
        &self.inner
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use url::Url;
    use wdl_ast::SupportedVersion;
    use wdl_ast::version::V1;

    use super::*;
    use crate::SourceEdit;
    use crate::SourcePosition;
    use crate::SourcePositionEncoding;

    struct DependencyContext {
        graph: DocumentGraph,
        dependency_index: NodeIndex,
        dependent_index: NodeIndex,
    }

    /// Creates a [`DocumentGraph`] with two documents, one dependent on the
    /// other.
    fn setup_dependent_document_graph() -> DependencyContext {
        let mut graph = DocumentGraph::new(Config::default());

        let dep_uri = Url::parse("file:///dep.wdl").unwrap();
        let dependent_uri = Url::parse("file:///dependent.wdl").unwrap();

        let dependency_index = graph.add_node(dep_uri.clone(), true);
        let dependent_index = graph.add_node(dependent_uri.clone(), true);

        let mut space = petgraph::algo::DfsSpace::default();
        graph.add_dependency_edge(dependent_index, dependency_index, EdgeKind::Uri, &mut space);

        DependencyContext {
            graph,
            dependency_index,
            dependent_index,
        }
    }

    #[test_log::test]
    fn test_delete_retains_current_state() {
        let DependencyContext {
            mut graph,
            dependency_index,
            dependent_index,
        } = setup_dependent_document_graph();

        // Parsed document with no pending changes
        let source = "version 1.1\n";
        let document = wdl_ast::Document::parse(source, None).0;
        let root = document.inner().green().to_owned();

        {
            let node = graph.get_mut(dependent_index);
            node.parse_state = ParseState::Parsed {
                version: Some(1),
                wdl_version: Some(SupportedVersion::V1(V1::One)),
                root,
                lines: Arc::new(LineIndex::new(source)),
                diagnostics: vec![],
                edits: Arc::default(),
            };
        }

        let dep_uri = graph.get(dependency_index).uri().clone();
        graph.delete(&dep_uri);

        // Deletion should retain the current source as a pending change and
        // demote the dependent node to NotParsed
        let dependent_graph_node = graph.get(dependent_index);
        assert!(matches!(
            dependent_graph_node.parse_state,
            ParseState::NotParsed
        ));

        let change = dependent_graph_node
            .change
            .as_ref()
            .expect("should have a pending change");
        assert_eq!(change.version, 1);
        assert_eq!(change.start.as_deref(), Some(source));
        assert!(change.edits.is_empty());
    }

    #[test_log::test]
    fn test_delete_retains_unapplied_edits() {
        let DependencyContext {
            mut graph,
            dependency_index,
            dependent_index,
        } = setup_dependent_document_graph();

        let source = "version 1.1\n";
        let document = wdl_ast::Document::parse(source, None).0;
        let root = document.inner().green().to_owned();

        {
            let node = graph.get_mut(dependent_index);
            node.parse_state = ParseState::Parsed {
                version: Some(1),
                wdl_version: Some(SupportedVersion::V1(V1::One)),
                root,
                lines: Arc::new(LineIndex::new(source)),
                diagnostics: vec![],
                edits: Arc::default(),
            };

            node.change = Some(IncrementalChange {
                version: 2,
                start: None,
                edits: vec![
                    SourceEdit::new(
                        SourcePosition::new(1, 0)..SourcePosition::new(1, 0),
                        SourcePositionEncoding::UTF8,
                        "task foo {}\n",
                    )
                    .unwrap(),
                ],
            });
        }

        let dep_uri = graph.get(dependency_index).uri().clone();
        graph.delete(&dep_uri);

        // Deletion with pending edits should apply pending edits and demote the
        // dependent node to NotParsed
        let dependent_graph_node = graph.get(dependent_index);
        assert!(matches!(
            dependent_graph_node.parse_state,
            ParseState::NotParsed
        ));

        let change = dependent_graph_node
            .change
            .as_ref()
            .expect("should have a pending change");
        assert_eq!(change.version, 2);
        assert_eq!(change.start.as_deref(), Some("version 1.1\ntask foo {}\n"));
        assert!(change.edits.is_empty());
    }
}
