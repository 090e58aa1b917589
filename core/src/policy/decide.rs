//! The decision function: pure, deny by default, reasons for everything.

use super::{AccessFacts, Decision, Permission, Policy, ReasonStep, Relationship};
use crate::actor::Actor;
use crate::patient::PatientField;

impl Policy {
    /// Decides whether `actor` may do `permission` given `facts`.
    ///
    /// Every rule that lists one of the actor's roles and the permission
    /// becomes a [`ReasonStep`] (in policy order, then the actor's role
    /// order); the request is allowed when any step's relationship holds.
    /// Visible fields are the union over the holding rules; the decision is
    /// flagged with the break-the-glass grant when only break-the-glass rules
    /// allowed it.
    pub fn decide(&self, actor: &Actor, permission: Permission, facts: &AccessFacts) -> Decision {
        let mut steps: Vec<ReasonStep> = Vec::new();
        let mut visible = [false; PatientField::ALL.len()];
        for rule in self
            .rules
            .iter()
            .filter(|r| r.permissions.contains(&permission))
        {
            for role in actor.roles.iter().filter(|r| rule.roles.contains(r)) {
                let step = ReasonStep {
                    rule: rule.id.clone(),
                    role: *role,
                    relationship: rule.relationship,
                    held: rule.relationship.holds(facts),
                };
                if step.held {
                    for (slot, field) in visible.iter_mut().zip(PatientField::ALL) {
                        *slot |= rule.fields.as_ref().is_none_or(|f| f.contains(&field));
                    }
                }
                if !steps.contains(&step) {
                    steps.push(step);
                }
            }
        }
        let allowed = steps.iter().any(|s| s.held);
        let only_break_glass = steps
            .iter()
            .filter(|s| s.held)
            .all(|s| s.relationship == Relationship::BreakGlass);
        let visible_fields = if allowed {
            PatientField::ALL
                .into_iter()
                .zip(visible)
                .filter_map(|(field, shown)| shown.then_some(field))
                .collect()
        } else {
            Vec::new()
        };
        Decision {
            allowed,
            permission,
            steps,
            visible_fields,
            break_glass: if allowed && only_break_glass {
                facts.break_glass
            } else {
                None
            },
        }
    }
}
