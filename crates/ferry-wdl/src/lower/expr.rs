//! Expressions: WDL's syntax trees of expressions, strings and placeholders lowered to `ir::Expr`,
//! with literals parsed and strings unescaped once; `object {…}` literals checked against their
//! struct.

use super::*;

/// `object { ... }` literals where a struct is expected: analysis lets an Object coerce to any
/// struct, so a member the struct lacks (or a required one left out) would only fail at run time.
/// Checked here, with the literal's position, through arrays, maps, pairs and optionals.
pub(crate) fn check_object_literals(ctx: &DocCtx<'_>, e: &v1::Expr, ty: &Type) -> Result<()> {
    let v1::Expr::Literal(l) = e else {
        return Ok(());
    };
    match (l, ty.required()) {
        (v1::LiteralExpr::Object(o), Type::Struct(st)) => {
            let mut given = Vec::new();
            for item in o.items() {
                let (name, value) = item.name_value();
                let Some(member_ty) = st.members.get(name.text()) else {
                    bail!(
                        "{}: struct {} has no member `{}` (in this object literal)",
                        ctx.loc(name.span().start()),
                        st.name,
                        name.text()
                    );
                };
                check_object_literals(ctx, &value, member_ty)?;
                given.push(name.text().to_string());
            }
            if let Some((missing, _)) = st
                .members
                .iter()
                .find(|(m, t)| !t.is_optional() && !given.contains(m))
            {
                bail!(
                    "{}: struct {} needs member `{missing}` (missing from this object literal)",
                    ctx.loc(o.span().start()),
                    st.name
                );
            }
        }
        (v1::LiteralExpr::Array(a), Type::Array(t, _)) => {
            for e in a.elements() {
                check_object_literals(ctx, &e, t)?;
            }
        }
        (v1::LiteralExpr::Map(m), Type::Map(_, v)) => {
            for item in m.items() {
                check_object_literals(ctx, &item.key_value().1, v)?;
            }
        }
        (v1::LiteralExpr::Pair(p), Type::Pair(l, r)) => {
            let (a, b) = p.exprs();
            check_object_literals(ctx, &a, l)?;
            check_object_literals(ctx, &b, r)?;
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn lower_placeholder(ctx: &DocCtx<'_>, p: &v1::Placeholder) -> Result<Placeholder> {
    let mut out = Placeholder {
        expr: lower_expr(ctx, &p.expr())?,
        sep: None,
        true_false: None,
        default: None,
    };
    // WDL 1.0 allows several options in one placeholder and numbers as their values
    // (`~{default=0 sep=" " x}`); analysis rejects both in later versions.
    for option in p.children::<v1::PlaceholderOption>() {
        let values = option_values(option.inner());
        match (option, values.as_slice()) {
            (v1::PlaceholderOption::Sep(_), [(_, v)]) => out.sep = Some(v.clone()),
            (v1::PlaceholderOption::Default(_), [(_, v)]) => out.default = Some(v.clone()),
            (v1::PlaceholderOption::TrueFalse(_), [(a, x), (_, y)]) => {
                // The grammar allows either order.
                out.true_false = Some(if *a == Some(true) {
                    (x.clone(), y.clone())
                } else {
                    (y.clone(), x.clone())
                })
            }
            (o, _) => bail!("malformed placeholder option `{}`", o.inner().text()),
        }
    }
    Ok(out)
}

/// The values of one placeholder option, in order, each with the `true`/`false` keyword that
/// precedes it (if any).
pub(crate) fn option_values(node: &wdl_ast::SyntaxNode) -> Vec<(Option<bool>, String)> {
    use wdl_ast::{SyntaxKind, SyntaxNode};
    let mut keyword = None;
    let mut out = Vec::new();
    for child in node.children_with_tokens() {
        if let Some(t) = child.as_token() {
            match t.kind() {
                SyntaxKind::TrueKeyword => keyword = Some(true),
                SyntaxKind::FalseKeyword => keyword = Some(false),
                _ => {}
            }
        } else if let Some(n) = child.into_node() {
            let text = match v1::LiteralString::<SyntaxNode>::cast(n.clone()) {
                Some(s) => plain_string(&s),
                None => n.text().to_string(),
            };
            out.push((keyword.take(), text));
        }
    }
    out
}

pub(crate) fn plain_string(s: &v1::LiteralString) -> String {
    let mut out = String::new();
    for p in s.parts() {
        if let v1::StringPart::Text(t) = p {
            t.unescape_to(&mut out);
        }
    }
    out
}

pub(crate) fn lower_string(ctx: &DocCtx<'_>, s: &v1::LiteralString) -> Result<Expr> {
    let mut parts = Vec::new();
    if let Some(stripped) = s.strip_whitespace() {
        for p in stripped {
            match p {
                v1::StrippedStringPart::Text(t) => parts.push(StrPart::Text(t)),
                v1::StrippedStringPart::Placeholder(p) => {
                    parts.push(StrPart::Placeholder(Box::new(lower_placeholder(ctx, &p)?)))
                }
            }
        }
    } else {
        for p in s.parts() {
            match p {
                v1::StringPart::Text(t) => {
                    let mut out = String::new();
                    t.unescape_to(&mut out);
                    match parts.last_mut() {
                        Some(StrPart::Text(prev)) => prev.push_str(&out),
                        _ => parts.push(StrPart::Text(out)),
                    }
                }
                v1::StringPart::Placeholder(p) => {
                    parts.push(StrPart::Placeholder(Box::new(lower_placeholder(ctx, &p)?)))
                }
            }
        }
    }
    Ok(Expr::Str(parts))
}

pub(crate) fn bin(op: BinaryOp, (a, b): (v1::Expr, v1::Expr), ctx: &DocCtx<'_>) -> Result<Expr> {
    Ok(Expr::Binary(
        op,
        Box::new((lower_expr(ctx, &a)?, lower_expr(ctx, &b)?)),
    ))
}

pub(crate) fn lower_expr(ctx: &DocCtx<'_>, e: &v1::Expr) -> Result<Expr> {
    use v1::Expr as E;
    Ok(match e {
        E::Literal(l) => match l {
            v1::LiteralExpr::Boolean(b) => Expr::Bool(b.value()),
            v1::LiteralExpr::Integer(i) => Expr::Int(i.value().with_context(|| {
                format!(
                    "{}: integer literal out of range",
                    ctx.loc(i.span().start())
                )
            })?),
            v1::LiteralExpr::Float(f) => Expr::Float(f.value().with_context(|| {
                format!("{}: float literal out of range", ctx.loc(f.span().start()))
            })?),
            v1::LiteralExpr::String(s) => lower_string(ctx, s)?,
            v1::LiteralExpr::Array(a) => Expr::Array(
                a.elements()
                    .map(|e| lower_expr(ctx, &e))
                    .collect::<Result<_>>()?,
            ),
            v1::LiteralExpr::Pair(p) => {
                let (l, r) = p.exprs();
                Expr::Pair(Box::new((lower_expr(ctx, &l)?, lower_expr(ctx, &r)?)))
            }
            v1::LiteralExpr::Map(m) => Expr::Map(
                m.items()
                    .map(|i| {
                        let (k, v) = i.key_value();
                        Ok((lower_expr(ctx, &k)?, lower_expr(ctx, &v)?))
                    })
                    .collect::<Result<_>>()?,
            ),
            v1::LiteralExpr::Object(o) => Expr::Object(
                o.items()
                    .map(|i| {
                        let (n, v) = i.name_value();
                        Ok((n.text().into(), lower_expr(ctx, &v)?))
                    })
                    .collect::<Result<_>>()?,
            ),
            v1::LiteralExpr::Struct(s) => {
                let name = s.name();
                let items = s
                    .items()
                    .map(|i| {
                        let (n, v) = i.name_value();
                        Ok((n.text().into(), lower_expr(ctx, &v)?))
                    })
                    .collect::<Result<_>>()?;
                match ctx.structs.get(name.text()) {
                    Some(st) => Expr::Struct(st.clone(), items),
                    None => bail!(
                        "{}: unknown struct `{}`",
                        ctx.loc(name.span().start()),
                        name.text()
                    ),
                }
            }
            v1::LiteralExpr::None(_) => Expr::None,
            v1::LiteralExpr::Hints(h) => Expr::Object(
                h.items()
                    .map(|i| Ok((i.name().text().into(), lower_expr(ctx, &i.expr())?)))
                    .collect::<Result<_>>()?,
            ),
            v1::LiteralExpr::Input(h) => Expr::Object(
                h.items()
                    .map(|i| {
                        let name: Vec<String> = i.names().map(|n| n.text().to_string()).collect();
                        Ok((name.join(".").into(), lower_expr(ctx, &i.expr())?))
                    })
                    .collect::<Result<_>>()?,
            ),
            v1::LiteralExpr::Output(h) => Expr::Object(
                h.items()
                    .map(|i| {
                        let name: Vec<String> = i.names().map(|n| n.text().to_string()).collect();
                        Ok((name.join(".").into(), lower_expr(ctx, &i.expr())?))
                    })
                    .collect::<Result<_>>()?,
            ),
        },
        E::NameRef(n) => Expr::Name(n.name().text().into()),
        E::Parenthesized(p) => lower_expr(ctx, &p.expr())?,
        E::If(i) => {
            let (c, t, f) = i.exprs();
            Expr::If(Box::new((
                lower_expr(ctx, &c)?,
                lower_expr(ctx, &t)?,
                lower_expr(ctx, &f)?,
            )))
        }
        E::LogicalNot(n) => Expr::Unary(UnaryOp::Not, Box::new(lower_expr(ctx, &n.operand())?)),
        E::Negation(n) => Expr::Unary(UnaryOp::Neg, Box::new(lower_expr(ctx, &n.operand())?)),
        E::LogicalOr(x) => bin(BinaryOp::Or, x.operands(), ctx)?,
        E::LogicalAnd(x) => bin(BinaryOp::And, x.operands(), ctx)?,
        E::Equality(x) => bin(BinaryOp::Eq, x.operands(), ctx)?,
        E::Inequality(x) => bin(BinaryOp::Ne, x.operands(), ctx)?,
        E::Less(x) => bin(BinaryOp::Lt, x.operands(), ctx)?,
        E::LessEqual(x) => bin(BinaryOp::Le, x.operands(), ctx)?,
        E::Greater(x) => bin(BinaryOp::Gt, x.operands(), ctx)?,
        E::GreaterEqual(x) => bin(BinaryOp::Ge, x.operands(), ctx)?,
        E::Addition(x) => bin(BinaryOp::Add, x.operands(), ctx)?,
        E::Subtraction(x) => bin(BinaryOp::Sub, x.operands(), ctx)?,
        E::Multiplication(x) => bin(BinaryOp::Mul, x.operands(), ctx)?,
        E::Division(x) => bin(BinaryOp::Div, x.operands(), ctx)?,
        E::Modulo(x) => bin(BinaryOp::Mod, x.operands(), ctx)?,
        E::Exponentiation(x) => bin(BinaryOp::Pow, x.operands(), ctx)?,
        E::Call(c) => Expr::Apply(
            c.target().text().into(),
            c.arguments()
                .map(|a| lower_expr(ctx, &a))
                .collect::<Result<_>>()?,
        ),
        E::Index(i) => {
            let (a, b) = i.operands();
            Expr::Index(Box::new((lower_expr(ctx, &a)?, lower_expr(ctx, &b)?)))
        }
        E::Access(a) => {
            let (target, name) = a.operands();
            // `Color.Red`: a choice of an enumeration in scope, unless a declaration of the
            // enclosing task or workflow has that name (`Bar Foo` beside `enum Foo`: `Foo.x` is
            // the member). `(Status).Inactive` names the type whatever is declared.
            let type_ref = match &target {
                E::NameRef(n) if !declared_in_scope(n.inner(), n.name().text()) => Some(n.name()),
                E::Parenthesized(p) => match p.expr() {
                    E::NameRef(n) => Some(n.name()),
                    _ => None,
                },
                _ => None,
            };
            if let Some(n) = type_ref
                && let Some(e) = ctx.enums.get(n.text())
            {
                let index = e.choice(name.text()).ok_or_else(|| {
                    anyhow!(
                        "{}: enumeration `{}` has no choice `{}`",
                        ctx.loc(name.span().start()),
                        e.name,
                        name.text()
                    )
                })?;
                return Ok(Expr::EnumChoice(e.clone(), index));
            }
            Expr::Access(Box::new(lower_expr(ctx, &target)?), name.text().into())
        }
    })
}

/// Whether the task or workflow around `node` declares `name` (an input, a private or output
/// declaration, a scatter variable or a call), which then shadows a type of that name.
fn declared_in_scope(node: &wdl_ast::SyntaxNode, name: &str) -> bool {
    use wdl_ast::SyntaxKind as K;
    let Some(scope) = node
        .ancestors()
        .find(|a| matches!(a.kind(), K::TaskDefinitionNode | K::WorkflowDefinitionNode))
    else {
        return false;
    };
    scope.descendants().any(|d| match d.kind() {
        K::BoundDeclNode | K::UnboundDeclNode => {
            v1::Decl::cast(d).is_some_and(|decl| decl.name().text() == name)
        }
        K::ScatterStatementNode => {
            v1::ScatterStatement::cast(d).is_some_and(|s| s.variable().text() == name)
        }
        K::CallStatementNode => v1::CallStatement::cast(d).is_some_and(|c| match c.alias() {
            Some(a) => a.name().text() == name,
            None => c.target().names().last().is_some_and(|n| n.text() == name),
        }),
        _ => false,
    })
}
