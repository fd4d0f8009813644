-- Administration: diacritics-insensitive search of people and units.

-- vn_fold folds Vietnamese text for search: NFC, diacritics removed, đ → d,
-- lowercase ("Nguyễn Thị Thu" → "nguyen thi thu"). Both cases are listed in
-- translate() so the result does not depend on the database's LC_CTYPE
-- (lower() folds only ASCII under the C locale). It needs no extension
-- (unaccent is contrib and may be missing on a managed server). IMMUTABLE,
-- so an expression index can use it. OR REPLACE: development databases
-- briefly had it in 0001.
CREATE OR REPLACE FUNCTION vn_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT lower(translate(normalize(t, NFC),
        'àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬđĐèéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆìíỉĩịÌÍỈĨỊòóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰỳýỷỹỵỲÝỶỸỴ',
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaddeeeeeeeeeeeeeeeeeeeeeeiiiiiiiiiioooooooooooooooooooooooooooooooooouuuuuuuuuuuuuuuuuuuuuuyyyyyyyyyy'))
$$;
