//! The row as it was laid out before [`CellStyle`] had `overline` and `blink`: protocol versions 7 to
//! 18 on the wire, history block format 2 and `S` screen snapshots on disk.
//!
//! bincode numbers nothing: a style is its fields in order, so a row written with the
//! older style cannot be read as today's [`Row`]. The wire needs no such reader (peers of
//! another version are refused before any state is decoded), but history written by an
//! older daemon must stay readable, so the store decodes those rows through this type.

use super::{CellStyle, Color, Row, RowError, RowWire, UnderlineStyle};
use serde::Deserialize;

/// [`CellStyle`] as protocol versions 7 to 18 laid it out: the same fields, no `overline` or `blink`.
#[derive(Deserialize)]
struct CellStyleWithoutOverline {
    fg: Color,
    bg: Color,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    inverse: bool,
    strikethrough: bool,
    underline_style: UnderlineStyle,
    underline_color: Color,
}

impl From<CellStyleWithoutOverline> for CellStyle {
    fn from(old: CellStyleWithoutOverline) -> CellStyle {
        CellStyle {
            fg: old.fg,
            bg: old.bg,
            bold: old.bold,
            dim: old.dim,
            italic: old.italic,
            underline: old.underline,
            inverse: old.inverse,
            strikethrough: old.strikethrough,
            underline_style: old.underline_style,
            underline_color: old.underline_color,
            overline: false,
            blink: false,
        }
    }
}

/// A [`Row`] decoded from the layout before overline (no cell of it is overlined),
/// checked as any decoded row is.
#[derive(Deserialize)]
#[serde(try_from = "RowWire<CellStyleWithoutOverline>")]
pub struct RowWithoutOverline(pub Row);

impl TryFrom<RowWire<CellStyleWithoutOverline>> for RowWithoutOverline {
    type Error = RowError;

    fn try_from(old: RowWire<CellStyleWithoutOverline>) -> Result<Self, RowError> {
        // Distinct old styles stay distinct, so runs that were valid stay valid.
        let styles = old
            .styles
            .into_iter()
            .map(|(cells, style)| (cells, CellStyle::from(style)))
            .collect();
        Row::try_from(RowWire {
            text: old.text,
            styles,
            clusters: old.clusters,
            wrapped: old.wrapped,
            links: old.links,
        })
        .map(RowWithoutOverline)
    }
}
