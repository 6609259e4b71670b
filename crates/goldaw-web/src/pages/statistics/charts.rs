//! The SVG charts of the statistics pages: bars by place or column, bars over time, drawn from
//! the published table only (a hidden bar is a mark, never a height).

use super::{bar_value, decimal, figure, place_dimension, HIDDEN_MARK};
use crate::i18n::Translator;
use crate::pages::common::{count, xml};
use crate::statistics::{
    self, chart_measure, over_time, Figure, Indicator, Measure, StatQuery, StatTable,
};
use crate::statistics_export::{
    column_label, column_value_label, dimension_label, indicator_key, value_label,
};
use crate::AppState;
use goldaw_core::access::Principal;
use goldaw_core::periods::{buckets, CalendarPeriod, Step};
use goldaw_core::statistics::Period;
use goldaw_store::StoreError;

// ----- charts ----------------------------------------------------------------------------------

/// One bar: its label and the published figure (a count or a rate).
pub(super) struct Bar {
    pub(super) label: String,
    pub(super) value: Figure,
    pub(super) measure: Measure,
}

/// Round steps for an axis (1, 2, 2.5 or 5 × a power of ten), at most about five of them.
fn axis(max: f64) -> (f64, usize) {
    let top = if max > 0.0 { max } else { 1.0 };
    let raw = top / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    // Counts have whole steps.
    let step = if max >= 5.0 || max == 0.0 {
        step.max(1.0)
    } else {
        step
    };
    let steps = (top / step).ceil().max(1.0) as usize;
    (step, steps)
}

/// An axis label: whole numbers grouped, small steps with one decimal.
fn tick(v: f64, step: f64, lang: &str) -> String {
    if step >= 1.0 {
        count(v.round() as u64, lang)
    } else {
        decimal(v, 1, lang)
    }
}

fn bars_max(bars: &[Bar]) -> f64 {
    bars.iter()
        .filter_map(|b| bar_value(b.value))
        .fold(0.0, f64::max)
}

/// The chart's figures as a sentence for its description: the table's figures in words.
fn chart_desc(t: &Translator, bars: &[Bar]) -> String {
    let parts: Vec<String> = bars
        .iter()
        .map(|b| {
            let text = if b.value.is_suppressed() {
                t.t("stat-hidden")
            } else {
                figure(b.value, b.measure, t.lang())
            };
            format!("{}: {text}", b.label)
        })
        .collect();
    if parts.is_empty() {
        t.t("no-data")
    } else {
        parts.join("; ")
    }
}

/// The chart's opening: its visible title (issue #19: every chart with a title; the chart is
/// drawn inside a `<figure>`), then the SVG with the same title and the description for screen
/// readers.
fn svg_open(id: &str, w: f64, h: f64, title: &str, desc: &str) -> String {
    format!(
        r#"<figcaption class="chart-title" id="{id}-caption">{}</figcaption><svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        xml(title),
        xml(title),
        xml(desc)
    )
}

/// Horizontal bars, one per row (places: long names read best beside the bar).
pub(super) fn horizontal_bars(id: &str, title: &str, bars: &[Bar], t: &Translator) -> String {
    let lang = t.lang();
    let row_h = 28.0_f64;
    let (left, right, top, bottom) = (190.0_f64, 70.0_f64, 8.0_f64, 28.0_f64);
    let w = 720.0_f64;
    let h = top + bottom + row_h * bars.len().max(1) as f64;
    let plot_w = w - left - right;
    let (step, steps) = axis(bars_max(bars));
    let x_max = step * steps as f64;
    let x = |v: f64| left + plot_w * v / x_max;
    let mut s = svg_open(id, w, h, title, &chart_desc(t, bars));
    for k in 0..=steps {
        let v = step * k as f64;
        s.push_str(&format!(
            r##"<line x1="{0:.1}" y1="{top}" x2="{0:.1}" y2="{1:.1}" stroke="#cfd6de"/><text x="{0:.1}" y="{2:.1}" font-size="12" text-anchor="middle" fill="#4a5561">{3}</text>"##,
            x(v),
            h - bottom,
            h - bottom + 16.0,
            tick(v, step, lang)
        ));
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let mid = y + row_h / 2.0 + 4.0;
        let label: String = b.label.chars().take(28).collect();
        s.push_str(&format!(
            r##"<text x="{:.1}" y="{mid:.1}" font-size="12" text-anchor="end" fill="#1b1f24">{}</text>"##,
            left - 6.0,
            xml(&label)
        ));
        let text = figure(b.value, b.measure, lang);
        match bar_value(b.value) {
            Some(value) => s.push_str(&format!(
                r##"<rect class="bar" x="{left}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#0b5cad"><title>{}: {text}</title></rect><text x="{:.1}" y="{mid:.1}" font-size="12" fill="#1b1f24">{text}</text>"##,
                y + 4.0,
                x(value) - left,
                row_h - 8.0,
                xml(&b.label),
                x(value) + 4.0,
            )),
            None if b.value.is_suppressed() => s.push_str(&format!(
                r##"<text class="hidden-bar" x="{:.1}" y="{mid:.1}" font-size="12" fill="#a4161a">{HIDDEN_MARK} {}</text>"##,
                left + 4.0,
                xml(&t.t("stat-hidden"))
            )),
            None => s.push_str(&format!(
                r##"<text x="{:.1}" y="{mid:.1}" font-size="12" fill="#4a5561">{text}</text>"##,
                left + 4.0
            )),
        }
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars in time order (months or quarters).
pub(super) fn vertical_bars(id: &str, title: &str, bars: &[Bar], t: &Translator) -> String {
    let lang = t.lang();
    let (w, h) = (720.0_f64, 300.0_f64);
    let (left, right, top, bottom) = (56.0_f64, 12.0_f64, 16.0_f64, 44.0_f64);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let (step, steps) = axis(bars_max(bars));
    let y_max = step * steps as f64;
    let y = |v: f64| top + plot_h * (1.0 - v / y_max);
    let slot = plot_w / bars.len().max(1) as f64;
    let bw = (slot * 0.7).min(48.0);
    let mut s = svg_open(id, w, h, title, &chart_desc(t, bars));
    for k in 0..=steps {
        let v = step * k as f64;
        s.push_str(&format!(
            r##"<line x1="{left}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#cfd6de"/><text x="{2:.1}" y="{3:.1}" font-size="12" text-anchor="end" fill="#4a5561">{4}</text>"##,
            y(v),
            left + plot_w,
            left - 6.0,
            y(v) + 4.0,
            tick(v, step, lang)
        ));
    }
    // Every label while they fit, else every other (or more).
    let every = bars.len().div_ceil(14).max(1);
    for (i, b) in bars.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        if i % every == 0 {
            s.push_str(&format!(
                r##"<text x="{cx:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#4a5561">{}</text>"##,
                h - bottom + 18.0,
                xml(&b.label)
            ));
        }
        match bar_value(b.value) {
            Some(value) => s.push_str(&format!(
                r##"<rect class="bar" x="{:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="#0b5cad"><title>{}: {}</title></rect>"##,
                cx - bw / 2.0,
                y(value),
                top + plot_h - y(value),
                xml(&b.label),
                figure(b.value, b.measure, lang)
            )),
            None if b.value.is_suppressed() => s.push_str(&format!(
                r##"<text class="hidden-bar" x="{cx:.1}" y="{:.1}" font-size="14" text-anchor="middle" fill="#a4161a">{HIDDEN_MARK}<title>{}: {}</title></text>"##,
                top + plot_h - 6.0,
                xml(&b.label),
                xml(&t.t("stat-hidden"))
            )),
            None => {}
        }
    }
    s.push_str("</svg>");
    s
}

/// A month or quarter as a short label: `2025-01`, `2025 Q1`.
pub(super) fn bucket_label(p: CalendarPeriod) -> String {
    match p {
        CalendarPeriod::Year(y) => y.to_string(),
        CalendarPeriod::Quarter(y, q) => format!("{y} Q{q}"),
        CalendarPeriod::Month(y, m) => format!("{y}-{m:02}"),
    }
}

/// The values of a row as people read them: the dimensions', then the own columns'.
pub(super) fn row_labels(
    state: &AppState,
    t: &Translator,
    table: &StatTable,
    values: &[String],
) -> Vec<String> {
    let catalogue = state.store.catalogue();
    let dims = &table.query.dims;
    let columns = table.query.indicator.columns();
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match dims.get(i) {
            Some(d) => value_label(&catalogue, t, *d, v),
            None => columns
                .get(i - dims.len())
                .map_or_else(|| v.clone(), |c| column_value_label(&catalogue, t, *c, v)),
        })
        .collect()
}

/// The bars of a table: one per row, labelled by its values.
pub(super) fn table_bars(state: &AppState, t: &Translator, table: &StatTable) -> Vec<Bar> {
    let measure = chart_measure(table.query.indicator);
    table
        .table
        .rows
        .iter()
        .map(|r| Bar {
            label: row_labels(state, t, table, &r.values).join(", "),
            value: table.table.figure(r, measure).unwrap_or(Figure::None),
            measure,
        })
        .collect()
}

/// Bars by place for `period` (one published table by velayat or unit), or, for an indicator
/// with its own columns, by those columns for the whole area (the funnel's steps).
pub(super) async fn place_or_column_bars(
    state: &AppState,
    principal: &Principal,
    t: &Translator,
    indicator: Indicator,
    period: Period,
) -> Result<(String, Vec<Bar>), StoreError> {
    let by_column = !indicator.columns().is_empty();
    let dims = if by_column {
        Vec::new()
    } else {
        vec![place_dimension(principal)]
    };
    let query = StatQuery {
        indicator,
        period,
        dims,
        min_cell: None,
    };
    let table = statistics::run(&state.store, principal, &query).await?;
    let name = t.t(&indicator_key(indicator));
    let split = if by_column {
        indicator
            .columns()
            .iter()
            .map(|c| column_label(t, *c))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        dimension_label(t, place_dimension(principal))
    };
    let title = t.t_with(
        "stat-chart-place",
        &[("indicator", name.into()), ("dimension", split.into())],
    );
    Ok((title, table_bars(state, t, &table)))
}

/// Bars over the months or quarters of the period; none for an indicator with own columns
/// (its table has several rows for each).
pub(super) async fn time_bars(
    state: &AppState,
    principal: &Principal,
    t: &Translator,
    indicator: Indicator,
    period: &Period,
    step: Step,
) -> Result<Option<(String, Vec<Bar>)>, StoreError> {
    if !indicator.columns().is_empty() {
        return Ok(None);
    }
    let cut = buckets(period, step).map_err(|_| too_many_steps(period))?;
    let measure = chart_measure(indicator);
    let bars = over_time(&state.store, principal, indicator, &cut)
        .await?
        .into_iter()
        .map(|(p, value)| Bar {
            label: bucket_label(p),
            value,
            measure,
        })
        .collect();
    let key = match step {
        Step::Month => "stat-chart-months",
        Step::Quarter => "stat-chart-quarters",
    };
    let title = t.t_with(key, &[("indicator", t.t(&indicator_key(indicator)).into())]);
    Ok(Some((title, bars)))
}

/// A period cut into more chart steps than [`goldaw_core::periods::MAX_BUCKETS`], as a refusal
/// the reader can act on (in their language: `store-chart-too-many-steps`).
pub(super) fn too_many_steps(period: &Period) -> StoreError {
    use goldaw_store::error::SayArg;
    StoreError::refuse(
        "step",
        "store-chart-too-many-steps",
        vec![
            ("from", SayArg::Text(period.from().to_string())),
            ("to", SayArg::Text(period.to().to_string())),
            (
                "limit",
                SayArg::Number(goldaw_core::periods::MAX_BUCKETS as i64),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::super::{decimal, figure};
    use super::*;
    use crate::statistics::{Figure, Measure};
    use goldaw_core::disclosure::Published;
    use goldaw_core::disclosure::Reason;
    use goldaw_core::periods::CalendarPeriod;

    #[test]
    fn charts_draw_shown_bars_and_mark_hidden_ones() {
        let t = Translator::new(Some("en"));
        let bars = vec![
            Bar {
                label: "Ahal".into(),
                value: Figure::count(1_240),
                measure: Measure::Users,
            },
            Bar {
                label: "Balkan".into(),
                value: Figure::Count {
                    value: Published::Suppressed {
                        reason: Reason::Primary,
                    },
                },
                measure: Measure::Users,
            },
        ];
        for svg in [
            horizontal_bars("c", "Title <1>", &bars, &t),
            vertical_bars("c", "Title <1>", &bars, &t),
        ] {
            assert_eq!(svg.matches(r#"class="bar""#).count(), 1, "{svg}");
            assert_eq!(svg.matches(r#"class="hidden-bar""#).count(), 1);
            assert!(svg.contains("<title id=\"c-title\">Title &lt;1&gt;</title>"));
            assert!(svg.contains("Ahal: 1,240; Balkan: hidden"), "{svg}");
            assert!(svg.contains(r#"role="img""#));
        }
        assert_eq!(axis(1_240.0), (250.0, 5));
        assert_eq!(axis(0.0), (1.0, 1));
        assert_eq!(axis(2.0), (0.5, 4), "a small rate gets steps below one");
        assert_eq!(decimal(10.04, 1, "ru"), "10,0");
        assert_eq!(
            figure(Figure::number(0.0123), Measure::Percent, "en"),
            "0.012"
        );
        assert_eq!(figure(Figure::None, Measure::Share, "en"), "–");
        assert_eq!(bucket_label(CalendarPeriod::Quarter(2025, 2)), "2025 Q2");
    }
}
