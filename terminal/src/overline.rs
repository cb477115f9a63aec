//! Overline (SGR 53 on, 55 off), which the model's parser drops: it has no attribute for
//! it. The prefilter reads every SGR's parameters as the parser will ([`SgrScan`]) and
//! notes where one turns overline on or off; the terminal then sets or clears
//! [`OVERLINE`] in the model's cursor template at that point, so printed cells carry it
//! as they carry bold.
//!
//! The model's cell flags are 16 bits and it uses 15; [`OVERLINE`] is the free one. The
//! model copies the template's flags whole into each printed cell, clears them all on
//! SGR 0 and on a reset (RIS), and makes erased cells from the template's background
//! only, so the bit lives exactly as long as an attribute of its own would.

use alacritty_terminal::term::cell::Flags;

/// The cell flag the model leaves free, used for overline.
pub const OVERLINE: Flags = Flags::from_bits_retain(0x8000);
// A model that took this bit for a flag of its own would turn it into overline.
const _: () = assert!(!Flags::all().intersects(OVERLINE));

/// The parser drops a CSI with more parameters and sub-parameters than this.
const MAX_PARAMS: u8 = 32;

/// The `;`-separated parameters that the parser takes as a colour's arguments after a
/// `38`, `48` or `58` without sub-parameters, so that `38;5;53` is a colour, not overline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColourArgs {
    None,
    /// The next parameter says how the colour is given: `5` (an index follows) or `2`
    /// (red, green and blue follow); anything else ends the colour there.
    Mode,
    /// This many components still follow. A component over 255 ends the colour there:
    /// the parser stops reading it, and goes on with the next parameter as an attribute.
    Components(u8),
}

/// One CSI's parameters as far as they matter for overline, read a byte at a time; kept
/// in the prefilter's state, so a sequence split across reads is still followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SgrScan {
    /// The current parameter's first value (before any `:`), saturating as the parser's.
    value: u16,
    /// The current parameter has sub-parameters (a `:` came).
    sub: bool,
    /// `;` and `:` so far, saturating.
    separators: u8,
    colour: ColourArgs,
    /// What the parameters so far do to overline: the last of `0`, `53` and `55` wins.
    overline: Option<bool>,
}

impl SgrScan {
    pub const START: SgrScan = SgrScan {
        value: 0,
        sub: false,
        separators: 0,
        colour: ColourArgs::None,
        overline: None,
    };

    /// Takes one parameter byte (a digit, `;` or `:`); other bytes change nothing.
    pub fn advance(self, byte: u8) -> SgrScan {
        match byte {
            b'0'..=b'9' if !self.sub => SgrScan {
                value: self
                    .value
                    .saturating_mul(10)
                    .saturating_add(u16::from(byte - b'0')),
                ..self
            },
            b':' => SgrScan {
                sub: true,
                separators: self.separators.saturating_add(1),
                ..self
            },
            b';' => SgrScan {
                value: 0,
                sub: false,
                separators: self.separators.saturating_add(1),
                ..self.end_parameter()
            },
            _ => self,
        }
    }

    /// What the SGR that ends here does to overline: `Some(true)` on, `Some(false)` off
    /// (`55`, or a reset, `0` or no parameter at all), `None` nothing.
    pub fn overline(self) -> Option<bool> {
        if self.separators >= MAX_PARAMS {
            // The parser ignores the whole sequence.
            return None;
        }
        self.end_parameter().overline
    }

    /// Reads the parameter just ended.
    fn end_parameter(self) -> SgrScan {
        let colour = match self.colour {
            ColourArgs::Mode => match self.value {
                2 => ColourArgs::Components(3),
                5 => ColourArgs::Components(1),
                _ => ColourArgs::None,
            },
            ColourArgs::Components(left) if self.value <= 255 && left > 1 => {
                ColourArgs::Components(left - 1)
            }
            ColourArgs::Components(_) => ColourArgs::None,
            ColourArgs::None => {
                let overline = match (self.value, self.sub) {
                    (38 | 48 | 58, false) => {
                        return SgrScan {
                            colour: ColourArgs::Mode,
                            ..self
                        }
                    }
                    (0 | 55, false) => Some(false),
                    (53, false) => Some(true),
                    _ => self.overline,
                };
                return SgrScan { overline, ..self };
            }
        };
        SgrScan { colour, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(params: &str) -> Option<bool> {
        params
            .bytes()
            .fold(SgrScan::START, SgrScan::advance)
            .overline()
    }

    #[test]
    fn the_last_of_53_55_and_reset_wins() {
        assert_eq!(scan("53"), Some(true));
        assert_eq!(scan("1;53;4"), Some(true));
        assert_eq!(scan("53;55"), Some(false));
        assert_eq!(scan("0;53"), Some(true));
        assert_eq!(scan("53;0"), Some(false));
        assert_eq!(scan(""), Some(false));
        assert_eq!(scan(";53"), Some(true));
        assert_eq!(scan("53;"), Some(false));
        assert_eq!(scan("1;4:3"), None);
    }

    #[test]
    fn colour_arguments_are_not_attributes() {
        assert_eq!(scan("38;5;53"), None);
        assert_eq!(scan("48;5;55;53"), Some(true));
        assert_eq!(scan("58;5;55"), None);
        assert_eq!(scan("38;2;53;55;0"), None);
        assert_eq!(scan("38;2;1;2;3;53"), Some(true));
        assert_eq!(scan("48:2::1:53:3"), None);
        assert_eq!(scan("38:5:53;1"), None);
        assert_eq!(scan("53:1"), None);
        // The parser takes the mode and stops: what follows is an attribute again.
        assert_eq!(scan("38;53"), None);
        assert_eq!(scan("38;7;53"), Some(true));
        assert_eq!(scan("38;2;300;53"), Some(true));
    }

    #[test]
    fn a_sequence_the_parser_ignores_changes_nothing() {
        let many = format!("{}53", "1;".repeat(usize::from(MAX_PARAMS) - 1));
        assert_eq!(scan(&many), Some(true));
        let too_many = format!("{}53", "1;".repeat(usize::from(MAX_PARAMS)));
        assert_eq!(scan(&too_many), None);
        assert_eq!(scan("65535999;53"), Some(true));
    }
}
