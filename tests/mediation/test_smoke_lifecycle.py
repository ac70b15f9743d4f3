from mediation.audit.verify import verify
from mediation.cases.models import Case
from tests.factories import make_case


def test_archive_a_performed_case_verifies(database, actor):
    case_id, version = make_case(database, state="archived", actor=actor)
    with database.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.state, case.version, case.closed_as) == ("archived", version, "performed")
        assert verify(session).ok
