//! The comparison's charts, drawn on the server as SVG like the statistics' charts (no script):
//! one horizontal bar per way of delivery; a figure that is hidden or cannot be computed is a
//! word, never a height.

use crate::pages::common::xml;

/// One bar: the way's name, its value (manat or a share), and what to say instead when none.
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: Option<f64>,
    pub(crate) text: String,
}

/// Horizontal bars, `title` and a description of the figures in words for screen readers.
pub(crate) fn bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let row_h = 30.0_f64;
    let (left, right, top, bottom) = (190.0_f64, 110.0_f64, 8.0_f64, 12.0_f64);
    let w = 720.0_f64;
    let h = top + bottom + row_h * bars.len().max(1) as f64;
    let plot_w = w - left - right;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { plot_w / max } else { 0.0 };
    let desc: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.text))
        .collect();
    let mut s = format!(
        r#"<svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        xml(title),
        xml(&desc.join("; "))
    );
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let mid = y + row_h / 2.0 + 4.0;
        s.push_str(&format!(
            r##"<text x="{:.1}" y="{mid:.1}" font-size="12" text-anchor="end" fill="#1b1f24">{}</text>"##,
            left - 6.0,
            xml(&b.label.chars().take(28).collect::<String>())
        ));
        match b.value.filter(|v| v.is_finite() && *v >= 0.0) {
            Some(v) => {
                let width = (v * scale).max(1.0);
                s.push_str(&format!(
                    r##"<rect class="bar" x="{left}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="#0b5cad"><title>{}: {}</title></rect><text x="{:.1}" y="{mid:.1}" font-size="12" fill="#1b1f24">{}</text>"##,
                    y + 4.0,
                    row_h - 8.0,
                    xml(&b.label),
                    xml(&b.text),
                    left + width + 4.0,
                    xml(&b.text)
                ));
            }
            None => s.push_str(&format!(
                r##"<text class="no-bar" x="{:.1}" y="{mid:.1}" font-size="12" fill="#4a5561">{}</text>"##,
                left + 4.0,
                xml(&b.text)
            )),
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_per_way_and_a_word_for_a_hidden_figure() {
        let svg = bars(
            "c",
            "Cost <per> person",
            &[
                Bar {
                    label: "State".into(),
                    value: Some(120.0),
                    text: "120.00".into(),
                },
                Bar {
                    label: "NGO".into(),
                    value: None,
                    text: "hidden".into(),
                },
            ],
        );
        assert_eq!(svg.matches("class=\"bar\"").count(), 1);
        assert!(svg.contains("class=\"no-bar\""));
        assert!(svg.contains("Cost &lt;per&gt; person"));
    }
}
