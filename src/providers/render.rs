//! Rendering forge's own minijinja templates: to text, or to the Kubernetes objects of
//! a multi-document YAML. Undefined variables are errors, so a template that names a
//! parameter the code does not pass fails loudly (a bug in forge, not in forge.yaml).

use serde::Serialize;
use serde_json::Value;

/// A template of forge's could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// minijinja refused the template or its parameters.
    #[error("forge could not render its `{template}` template")]
    Template {
        /// Which template.
        template: &'static str,
        /// Why.
        #[source]
        source: minijinja::Error,
    },
    /// The rendered text is not valid YAML.
    #[error("forge's `{template}` template rendered invalid YAML")]
    Yaml {
        /// Which template.
        template: &'static str,
        /// Why.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
}

/// Renders `template` (named `name` in errors) with `params` to text.
pub fn render_text(
    name: &'static str,
    template: &str,
    params: &impl Serialize,
) -> Result<String, RenderError> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.template_from_str(template)
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(params))))
        .map_err(|source| RenderError::Template {
            template: name,
            source,
        })
}

/// Renders a multi-document YAML template into objects (empty documents dropped).
pub fn render_objects(
    name: &'static str,
    template: &str,
    params: &impl Serialize,
) -> Result<Vec<Value>, RenderError> {
    let text = render_text(name, template, params)?;
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).map_err(|e| RenderError::Yaml {
        template: name,
        source: Box::new(e),
    })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}
