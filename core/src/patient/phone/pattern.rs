//! The patterns of libphonenumber's metadata, matched without a regex
//! engine: they only ever meet the digits of a number, and use a small part
//! of regex syntax (digits, `\d`, `[2-9]` classes, `(?:…)` and capturing
//! groups, `|`, `?`, `*`, `+`, `{n}`, `{n,m}`, `^` and `$`).
//!
//! The matcher backtracks in the order the regex crate's leftmost-first
//! semantics prefer (alternatives left to right, greedy repetition first),
//! so the match it finds at the start of a text, its end and its groups
//! are the ones `phonenumber` got from `regex`. A bit set of the (step,
//! position) pairs already tried bounds the work to the pattern's length
//! times the text's.

/// A pattern's syntax tree.
#[derive(Debug, Clone)]
enum Node {
    /// One digit of a set (bit n: digit n).
    Digit(u16),
    /// Items one after the other.
    Sequence(Vec<Node>),
    /// The first alternative that leads to a match.
    Either(Vec<Node>),
    /// A group; `Some(n)` captures as group n.
    Group(Option<usize>, Box<Node>),
    /// `min` to `max` (none: unbounded) repetitions; `greedy` tries more first.
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
    /// `^`: the start of the text.
    Start,
    /// `$`: the end of the text.
    End,
}

/// Every digit.
const ANY_DIGIT: u16 = 0x3ff;

/// Reads a pattern's text into its tree.
struct Parser<'p> {
    text: &'p [u8],
    at: usize,
    groups: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.at += 1;
        c
    }

    fn either(&mut self) -> Option<Node> {
        let mut branches = vec![self.sequence()?];
        while self.peek() == Some(b'|') {
            self.at += 1;
            branches.push(self.sequence()?);
        }
        Some(if branches.len() == 1 {
            branches.pop()?
        } else {
            Node::Either(branches)
        })
    }

    fn sequence(&mut self) -> Option<Node> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.repeat(atom)?);
        }
        Some(Node::Sequence(items))
    }

    fn atom(&mut self) -> Option<Node> {
        Some(match self.next()? {
            c @ b'0'..=b'9' => Node::Digit(1 << (c - b'0')),
            b'\\' => match self.next()? {
                b'd' => Node::Digit(ANY_DIGIT),
                _ => return None,
            },
            b'[' => Node::Digit(self.class()?),
            b'(' => {
                let capture = if self.text[self.at..].starts_with(b"?:") {
                    self.at += 2;
                    None
                } else {
                    self.groups += 1;
                    Some(self.groups)
                };
                let inner = self.either()?;
                (self.next()? == b')').then_some(())?;
                Node::Group(capture, Box::new(inner))
            }
            b'^' => Node::Start,
            b'$' => Node::End,
            _ => return None,
        })
    }

    /// A `[…]` class after its `[`; digits only ever meet it.
    fn class(&mut self) -> Option<u16> {
        let negated = self.peek() == Some(b'^');
        if negated {
            self.at += 1;
        }
        let mut set = 0u16;
        loop {
            match self.next()? {
                b']' => break,
                b'\\' => match self.next()? {
                    b'd' => set |= ANY_DIGIT,
                    _ => return None,
                },
                c @ b'0'..=b'9' => {
                    let low = c - b'0';
                    let high = if self.peek() == Some(b'-')
                        && self.text.get(self.at + 1).is_some_and(u8::is_ascii_digit)
                    {
                        self.at += 1;
                        self.next()? - b'0'
                    } else {
                        low
                    };
                    for d in low..=high {
                        set |= 1 << d;
                    }
                }
                _ => return None,
            }
        }
        Some(if negated { !set & ANY_DIGIT } else { set })
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        std::str::from_utf8(&self.text[start..self.at])
            .ok()?
            .parse()
            .ok()
    }

    fn repeat(&mut self, node: Node) -> Option<Node> {
        let (min, max) = match self.peek() {
            Some(b'?') => (0, Some(1)),
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'{') => {
                self.at += 1;
                let min = self.number()?;
                let max = if self.peek() == Some(b',') {
                    self.at += 1;
                    if self.peek() == Some(b'}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                (self.peek() == Some(b'}')).then_some(())?;
                (min, max)
            }
            _ => return Some(node),
        };
        self.at += 1;
        let greedy = if self.peek() == Some(b'?') {
            self.at += 1;
            false
        } else {
            true
        };
        Some(Node::Repeat {
            node: Box::new(node),
            min,
            max,
            greedy,
        })
    }
}

/// One step of a compiled pattern.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Takes one digit of the set.
    Digit(u16),
    /// Tries the first target, then the second.
    Split(usize, usize),
    /// Goes on at the target.
    Jump(usize),
    /// Records the position in a group slot.
    Save(usize),
    /// Holds at the start of the text only.
    Start,
    /// Holds at the end of the text only.
    End,
    /// A match.
    Match,
}

/// A compiled pattern.
#[derive(Debug)]
pub(super) struct Pattern {
    steps: Vec<Step>,
    groups: usize,
}

/// The longest program a pattern may compile to (repetitions are unrolled).
const MAX_STEPS: usize = 1 << 16;

fn compile(node: &Node, steps: &mut Vec<Step>) -> Option<()> {
    if steps.len() > MAX_STEPS {
        return None;
    }
    match node {
        Node::Digit(set) => steps.push(Step::Digit(*set)),
        Node::Sequence(items) => {
            for item in items {
                compile(item, steps)?;
            }
        }
        Node::Either(branches) => {
            let mut jumps = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                if i + 1 < branches.len() {
                    let split = steps.len();
                    steps.push(Step::Split(split + 1, 0));
                    compile(branch, steps)?;
                    jumps.push(steps.len());
                    steps.push(Step::Jump(0));
                    let next = steps.len();
                    steps[split] = Step::Split(split + 1, next);
                } else {
                    compile(branch, steps)?;
                }
            }
            let end = steps.len();
            for jump in jumps {
                steps[jump] = Step::Jump(end);
            }
        }
        Node::Group(capture, inner) => {
            if let Some(n) = capture {
                steps.push(Step::Save(2 * n));
            }
            compile(inner, steps)?;
            if let Some(n) = capture {
                steps.push(Step::Save(2 * n + 1));
            }
        }
        Node::Repeat {
            node,
            min,
            max,
            greedy,
        } => {
            for _ in 0..*min {
                compile(node, steps)?;
            }
            let split = |steps: &mut Vec<Step>, at: usize, taken: usize, skipped: usize| {
                steps[at] = if *greedy {
                    Step::Split(taken, skipped)
                } else {
                    Step::Split(skipped, taken)
                };
            };
            match max {
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(steps.len());
                        steps.push(Step::Match);
                        compile(node, steps)?;
                    }
                    let end = steps.len();
                    for at in splits {
                        split(steps, at, at + 1, end);
                    }
                }
                None => {
                    let at = steps.len();
                    steps.push(Step::Match);
                    compile(node, steps)?;
                    steps.push(Step::Jump(at));
                    let end = steps.len();
                    split(steps, at, at + 1, end);
                }
            }
        }
        Node::Start => steps.push(Step::Start),
        Node::End => steps.push(Step::End),
    }
    Some(())
}

/// What a backtrack does when it comes back to a stack entry.
enum Backtrack {
    /// Tries this step at this position.
    Try(usize, usize),
    /// Puts a group slot back as it was.
    Restore(usize, Option<usize>),
}

/// A match at the start of a text: where it ends and each group's span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    /// Where the match ends.
    pub(super) end: usize,
    /// Group n's span (index n − 1), `None` for a group that took no part.
    pub(super) groups: Vec<Option<(usize, usize)>>,
}

impl Pattern {
    /// Compiles `source`; `None` for syntax this matcher does not know.
    pub(super) fn new(source: &str) -> Option<Pattern> {
        let mut parser = Parser {
            text: source.as_bytes(),
            at: 0,
            groups: 0,
        };
        let tree = parser.either()?;
        if parser.at != source.len() {
            return None;
        }
        let mut steps = Vec::new();
        compile(&tree, &mut steps)?;
        steps.push(Step::Match);
        Some(Pattern {
            steps,
            groups: parser.groups,
        })
    }

    /// The leftmost-first match that starts at the start of `digits`, if
    /// there is one (what `find` gives when its match starts at 0).
    pub(super) fn at_start(&self, digits: &[u8]) -> Option<Found> {
        let width = digits.len() + 1;
        let mut tried = vec![0u64; (self.steps.len() * width).div_ceil(64)];
        let mut slots: Vec<Option<usize>> = vec![None; 2 * (self.groups + 1)];
        let mut stack = vec![Backtrack::Try(0, 0)];
        while let Some(entry) = stack.pop() {
            let (mut step, mut at) = match entry {
                Backtrack::Try(step, at) => (step, at),
                Backtrack::Restore(slot, value) => {
                    if let Some(s) = slots.get_mut(slot) {
                        *s = value;
                    }
                    continue;
                }
            };
            loop {
                let key = step * width + at;
                let (word, bit) = (key / 64, 1u64 << (key % 64));
                match tried.get_mut(word) {
                    Some(w) if *w & bit == 0 => *w |= bit,
                    _ => break,
                }
                match self.steps.get(step).copied()? {
                    Step::Digit(set) => match digits.get(at) {
                        Some(d @ b'0'..=b'9') if set & (1 << (d - b'0')) != 0 => {
                            step += 1;
                            at += 1;
                        }
                        _ => break,
                    },
                    Step::Split(first, second) => {
                        stack.push(Backtrack::Try(second, at));
                        step = first;
                    }
                    Step::Jump(target) => step = target,
                    Step::Save(slot) => {
                        if let Some(s) = slots.get_mut(slot) {
                            stack.push(Backtrack::Restore(slot, *s));
                            *s = Some(at);
                        }
                        step += 1;
                    }
                    Step::Start if at == 0 => step += 1,
                    Step::End if at == digits.len() => step += 1,
                    Step::Start | Step::End => break,
                    Step::Match => {
                        let groups = (1..=self.groups)
                            .map(|n| match (slots[2 * n], slots[2 * n + 1]) {
                                (Some(s), Some(e)) => Some((s, e)),
                                _ => None,
                            })
                            .collect();
                        return Some(Found { end: at, groups });
                    }
                }
            }
        }
        None
    }

    /// Whether a match starts at the start of `digits`.
    pub(super) fn starts(&self, digits: &[u8]) -> bool {
        self.at_start(digits).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(pattern: &str, text: &str) -> Option<Found> {
        Pattern::new(pattern).and_then(|p| p.at_start(text.as_bytes()))
    }

    #[test]
    fn alternatives_are_tried_left_to_right_as_the_regex_crate_does() {
        assert_eq!(found("1|12", "123").map(|f| f.end), Some(1));
        assert_eq!(found("12|1", "123").map(|f| f.end), Some(2));
    }

    #[test]
    fn repetition_is_greedy_and_bounded() {
        assert_eq!(found("\\d{2,4}", "123456").map(|f| f.end), Some(4));
        assert_eq!(found("[2-9]\\d{2}", "123"), None);
        assert_eq!(
            found("0?(5\\d)", "0512").map(|f| f.groups),
            Some(vec![Some((1, 3))])
        );
    }

    #[test]
    fn an_end_anchor_holds_only_at_the_end() {
        assert_eq!(found("([2-9]\\d{6})$|1", "2345678").map(|f| f.end), Some(7));
        assert_eq!(
            found("([2-9]\\d{6})$|1", "12345678").map(|f| f.groups),
            Some(vec![None])
        );
        assert_eq!(found("([2-9]\\d{6})$|1", "23456789"), None);
    }

    #[test]
    fn unknown_syntax_is_refused() {
        assert!(Pattern::new("a").is_none());
        assert!(Pattern::new("(1").is_none());
        assert!(Pattern::new("[^0]").is_some());
    }
}
