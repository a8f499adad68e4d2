//! The records: every documented field of every payload, one line each.

use serde_json::{Map, Value};

use super::mismatch::Mismatch;
use super::read::{Descriptive, Kept};
use super::table::{Record, RecordTable};
use crate::json::RawObject;
use crate::text::Str;

/// Hands every record's declaration to `$callback!`, one call a record. The
/// core declares its records with it (`each_record!(record)`, below), and a
/// binding builds its classes from the same lines (Python's getters), so a
/// field is written once: here.
///
/// Every documented field's JSON type comes from the senders' example
/// payloads (fixtures/payloads/bullseye-partner-api-identification.json and
/// fingerprinting-api-visit.json); fields shown only as null keep the type
/// their name implies. A field is one doc line and one line `name: Type`
/// (`name = "key": Type` when the payload's key differs; `as Reader` when
/// the core reads it another way).
#[macro_export]
#[doc(hidden)]
macro_rules! each_record {
    ($callback:ident) => {
        $callback! {
            /// A `visitor.identified` event: a visitor identified on a customer's site.
            ///
            /// Every field either Bullseye document lists is here; absent, `null`
            /// or unreadable reads as `None` (see [`VisitorIdentified::mismatches`]).
            /// Fields neither lists stay in [`VisitorIdentified::raw`].
            pub struct VisitorIdentified = "VisitorIdentifiedEvent" {
                @extra {
                    /// Always [`VISITOR_IDENTIFIED`](crate::VISITOR_IDENTIFIED).
                    pub event_type: String,
                    pub(crate) raw: RawObject,
                    pub(crate) mismatches: Vec<Mismatch>,
                }
                /// When the event occurred (RFC 3339), as sent.
                timestamp: Str as Kept,
                /// The customer's Bullseye organization.
                organization_id: Str as Kept,
                /// The visitor's session.
                session_id: Str as Kept,
                /// The workspace's name.
                workspace: Str,
                /// Who was identified.
                visitor: Visitor,
                /// The visitor's company.
                company: Company,
                /// Session metadata: pages, UTM parameters, referrer, device.
                session: Session,
                /// The pages viewed in the session (an item sent as `null` reads as none).
                page_views: Vec<Option<PageView>>,
            }
        }

        $callback! {
            /// The identified person.
            pub struct Visitor {
                /// Bullseye's visitor id.
                id: Str,
                /// Work email.
                email: Str,
                /// Personal email.
                personal_email: Str,
                /// First name.
                first_name: Str,
                /// Last name.
                last_name: Str,
                /// Job title.
                job_title: Str,
                /// Phone number.
                phone: Str,
                /// Location, as Bullseye formats it.
                location: Str,
                /// Photo URL.
                photo_url: Str,
                /// LinkedIn profile URL.
                linkedin_url: Str,
                /// Facebook profile URL.
                facebook_url: Str,
                /// Twitter profile URL.
                twitter_url: Str,
                /// Street address.
                address: Str,
                /// City.
                city: Str,
                /// State or region.
                state: Str,
                /// Postal code.
                postal_code: Str,
                /// Gender.
                gender: Str,
                /// Age range.
                age_range: Str,
                /// Income range.
                income_range: Str,
                /// Net worth range.
                net_worth: Str,
                /// Homeowner status.
                homeowner: bool,
                /// Marital status.
                married: bool,
                /// Children.
                children: bool,
                /// The ideal-customer profile matched.
                icp: Str,
                /// ICP statuses.
                icp_statuses: Map<String, Value>,
                /// Whether the visitor matches a persona.
                persona_match: bool,
                /// When Bullseye first saw this visitor.
                created_at: Str,
                /// When Bullseye last saw this visitor.
                last_seen_at: Str,
            }
        }

        $callback! {
            /// The visitor's company.
            pub struct Company {
                /// Bullseye's company id.
                id: Str,
                /// Name.
                name: Str,
                /// Web domain.
                domain: Str,
                /// Industry.
                industry: Str,
                /// Number of employees (`150` in the documented example).
                size: i64,
                /// Number of employees.
                employee_count: i64,
                /// Employee size range (`"101-500"`).
                employee_size_range: Str,
                /// Revenue range.
                revenue_range: Str,
                /// Location.
                location: Str,
                /// LinkedIn URL.
                linkedin_url: Str,
                /// Website URL.
                website_url: Str,
                /// Description.
                description: Str,
                /// Logo URL.
                logo_url: Str,
                /// Street address.
                address: Str,
                /// City.
                city: Str,
                /// Region or state.
                region: Str,
                /// Postal code.
                postal_code: Str,
            }
        }

        $callback! {
            /// Session metadata.
            pub struct Session {
                /// When the session started.
                created_at: Str,
                /// First page of the session.
                landing_page: Str,
                /// Entry page.
                entry_page: Str,
                /// Exit page.
                exit_page: Str,
                /// Pages visited.
                pages_visited: i64,
                /// Referrer.
                referrer: Str,
                /// Device type.
                device_type: Str,
                /// Whether this was the visitor's first visit.
                first_visit: bool,
                /// utm_source.
                utm_source: Str,
                /// utm_campaign.
                utm_campaign: Str,
                /// utm_medium.
                utm_medium: Str,
                /// utm_term.
                utm_term: Str,
                /// utm_content.
                utm_content: Str,
                /// Campaign name.
                campaign_name: Str,
                /// Campaign source.
                campaign_source: Str,
                /// Campaign medium.
                campaign_medium: Str,
                /// Campaign term.
                campaign_term: Str,
                /// Campaign content.
                campaign_content: Str,
                /// Search term.
                search_term: Str,
                /// Search engine.
                search_engine: Str,
                /// Country.
                country: Str,
                /// Region.
                region: Str,
                /// City.
                city: Str,
                /// All tracking parameters.
                tracking_params: Map<String, Value>,
            }
        }

        $callback! {
            /// One page view of the session.
            pub struct PageView {
                /// The page's URL.
                url: Str,
                /// When it was viewed.
                visited_at: Str,
            }
        }

        $callback! {
            /// A fingerprinting-api visit (`NEW_VISIT`, `NEW_VISITOR`).
            ///
            /// The descriptive objects (`location`, `traffic_source`, `device`,
            /// `browser`, `screen`) hold their string-encoded numbers and booleans
            /// typed; [`Visit::raw`] keeps the object as sent.
            pub struct Visit {
                @extra {
                    /// `NEW_VISIT` or `NEW_VISITOR` when the payload names its type
                    /// (in `event_type`, `event` or `type`); `None` when it does not.
                    pub event_type: Option<String>,
                    pub(crate) raw: RawObject,
                    pub(crate) mismatches: Vec<Mismatch>,
                }
                /// The visit's id.
                id: Str as Kept,
                /// The visited URL.
                url: Str,
                /// The URL's parameters, as sent.
                params: Map<String, Value>,
                /// The referrer.
                referrer: Str,
                /// When the visit happened, as sent.
                date: Str,
                /// The visitor's IP address.
                ip: Str,
                /// The visitor.
                visitor: VisitVisitor,
                /// Geolocation, typed.
                location: Value as Descriptive,
                /// Where the visit came from, typed.
                traffic_source = "trafficSource": Value as Descriptive,
                /// The device, typed.
                device: Value as Descriptive,
                /// The browser, typed.
                browser: Value as Descriptive,
                /// The time zone.
                timezone: Str,
                /// The screen, typed.
                screen: Value as Descriptive,
            }
        }

        $callback! {
            /// The visitor of a [`Visit`].
            pub struct VisitVisitor {
                /// The visitor's id.
                id: Str,
                /// When the visitor was first seen, as sent.
                first_seen = "firstSeen": Str,
                /// The visitor's company.
                company: VisitCompany,
            }
        }

        $callback! {
            /// The company of a visit's visitor.
            pub struct VisitCompany {
                /// Name.
                name: Str,
                /// Web domain.
                domain: Str,
            }
        }
    };
}

each_record!(record);

/// The field tables of the payloads, whose fields lead to every other
/// record's.
pub const PAYLOAD_TABLES: [&RecordTable; 2] = [VisitorIdentified::TABLE, Visit::TABLE];
